// A small JSON reader and canonical writer for the oracle: Mono's base profile has no JSON
// library, and the vectors need only objects, arrays, strings, integers, booleans and null.
// Objects read as SortedDictionary so that writing is canonical (sorted keys, no spaces), which
// lets the oracle compare observations by their text.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

static class Json
{
    public static object Parse(string text)
    {
        int at = 0;
        object value = ReadValue(text, ref at);
        SkipSpace(text, ref at);
        if (at != text.Length) throw new FormatException("JSON: trailing text at offset " + at);
        return value;
    }

    static void SkipSpace(string text, ref int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
    }

    static object ReadValue(string text, ref int at)
    {
        SkipSpace(text, ref at);
        if (at >= text.Length) throw new FormatException("JSON: unexpected end");
        char c = text[at];
        if (c == '{')
        {
            var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
            at++;
            SkipSpace(text, ref at);
            if (text[at] == '}') { at++; return result; }
            while (true)
            {
                SkipSpace(text, ref at);
                string key = ReadString(text, ref at);
                SkipSpace(text, ref at);
                Expect(text, ref at, ':');
                result[key] = ReadValue(text, ref at);
                SkipSpace(text, ref at);
                if (text[at] == ',') { at++; continue; }
                Expect(text, ref at, '}');
                return result;
            }
        }
        if (c == '[')
        {
            var result = new List<object>();
            at++;
            SkipSpace(text, ref at);
            if (text[at] == ']') { at++; return result; }
            while (true)
            {
                result.Add(ReadValue(text, ref at));
                SkipSpace(text, ref at);
                if (text[at] == ',') { at++; continue; }
                Expect(text, ref at, ']');
                return result;
            }
        }
        if (c == '"') return ReadString(text, ref at);
        if (text.Substring(at).StartsWith("true")) { at += 4; return true; }
        if (text.Substring(at).StartsWith("false")) { at += 5; return false; }
        if (text.Substring(at).StartsWith("null")) { at += 4; return null; }
        int start = at;
        if (text[at] == '-') at++;
        while (at < text.Length && char.IsDigit(text[at])) at++;
        if (start == at) throw new FormatException("JSON: unexpected '" + c + "' at offset " + at);
        return long.Parse(text.Substring(start, at - start), CultureInfo.InvariantCulture);
    }

    static void Expect(string text, ref int at, char wanted)
    {
        if (at >= text.Length || text[at] != wanted) throw new FormatException("JSON: expected '" + wanted + "' at offset " + at);
        at++;
    }

    static string ReadString(string text, ref int at)
    {
        Expect(text, ref at, '"');
        var result = new StringBuilder();
        while (text[at] != '"')
        {
            char c = text[at++];
            if (c != '\\') { result.Append(c); continue; }
            char escaped = text[at++];
            switch (escaped)
            {
                case 'n': result.Append('\n'); break;
                case 't': result.Append('\t'); break;
                case 'r': result.Append('\r'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'u': result.Append((char)int.Parse(text.Substring(at, 4), NumberStyles.HexNumber)); at += 4; break;
                default: result.Append(escaped); break;
            }
        }
        at++;
        return result.ToString();
    }

    // Canonical text: sorted keys, no whitespace; the same text nlohmann::json::dump() writes.
    public static string Write(object value)
    {
        var output = new StringBuilder();
        Write(value, output);
        return output.ToString();
    }

    static void Write(object value, StringBuilder output)
    {
        if (value == null) { output.Append("null"); return; }
        if (value is bool) { output.Append((bool)value ? "true" : "false"); return; }
        if (value is int || value is long) { output.Append(Convert.ToInt64(value).ToString(CultureInfo.InvariantCulture)); return; }
        var text = value as string;
        if (text != null)
        {
            output.Append('"');
            foreach (char c in text)
            {
                if (c == '"' || c == '\\') output.Append('\\').Append(c);
                else if (c == '\n') output.Append("\\n");
                else if (c < ' ') output.Append("\\u").Append(((int)c).ToString("x4"));
                else output.Append(c);
            }
            output.Append('"');
            return;
        }
        var map = value as IDictionary<string, object>;
        if (map != null)
        {
            var keys = new List<string>(map.Keys);
            keys.Sort(StringComparer.Ordinal);
            output.Append('{');
            for (int i = 0; i < keys.Count; i++)
            {
                if (i > 0) output.Append(',');
                Write(keys[i], output);
                output.Append(':');
                Write(map[keys[i]], output);
            }
            output.Append('}');
            return;
        }
        var list = value as System.Collections.IEnumerable;
        if (list != null)
        {
            output.Append('[');
            bool first = true;
            foreach (object each in list)
            {
                if (!first) output.Append(',');
                first = false;
                Write(each, output);
            }
            output.Append(']');
            return;
        }
        throw new ArgumentException("JSON: cannot write a " + value.GetType());
    }
}
