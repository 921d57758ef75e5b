// Exactly one translation unit per model executable links this file. It makes Relacy's heap
// the only heap inside a model, which Relacy's leak and use-after-free checks depend on.
//
// relacy.hpp replaces operator new(size_t) / operator delete(void*) with *inline* functions.
// Two things go wrong with that on libstdc++ (measured, see ../shared/RELACY.md):
//   * An inline replacement is only emitted in a translation unit that calls it, so the
//     executable may not contain one at all. The forwarding functions below call them, which
//     emits them here (and the dynamic linker then prefers them to libstdc++'s).
//   * C++14 sized deallocation calls operator delete(void*, size_t), which Relacy does not
//     replace: libstdc++'s version hands Relacy's memory to libc free() ("free(): invalid
//     pointer"). Same for the nothrow and align_val_t forms. All of them forward to Relacy here.
// Relacy's allocator aligns like malloc; model builds keep objects at that alignment
// (config::cache_line_size shrinks under TPL_MODEL_RELACY), so the aligned forms ignore it.
#include <cstddef>
#include <new>

#include "tpl/sync/relacy/relacy_include.hpp"

// Relacy's plain operator new and delete must both be emitted as symbols of the executable, so
// that libstdc++ (an exception's message string, allocated and freed inside the library) uses
// Relacy's pair too: with only one of them emitted, g++ builds allocated through Relacy and freed
// with libc free() ("free(): invalid pointer"), and clang builds the reverse (Relacy's "DOUBLE
// FREE"). Taking the addresses forces the emission whatever the optimiser inlines elsewhere.
using plain_new = void* (*)(std::size_t);
using plain_delete = void (*)(void*) noexcept;
[[maybe_unused]] volatile plain_new tpl_model_keep_new = &::operator new;
[[maybe_unused]] volatile plain_new tpl_model_keep_new_array = &::operator new[];
[[maybe_unused]] volatile plain_delete tpl_model_keep_delete = &::operator delete;
[[maybe_unused]] volatile plain_delete tpl_model_keep_delete_array = &::operator delete[];

void operator delete(void* storage, std::size_t) noexcept { ::operator delete(storage); }
void operator delete[](void* storage, std::size_t) noexcept { ::operator delete[](storage); }

void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return ::operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return ::operator new[](size); }
void operator delete(void* storage, const std::nothrow_t&) noexcept { ::operator delete(storage); }
void operator delete[](void* storage, const std::nothrow_t&) noexcept { ::operator delete[](storage); }

void* operator new(std::size_t size, std::align_val_t) { return ::operator new(size); }
void* operator new[](std::size_t size, std::align_val_t) { return ::operator new[](size); }
void operator delete(void* storage, std::align_val_t) noexcept { ::operator delete(storage); }
void operator delete[](void* storage, std::align_val_t) noexcept { ::operator delete[](storage); }
void operator delete(void* storage, std::size_t, std::align_val_t) noexcept { ::operator delete(storage); }
void operator delete[](void* storage, std::size_t, std::align_val_t) noexcept { ::operator delete[](storage); }
