/*
 * ProcessPrng for Wine 8, which lacks it: Rust's standard library (1.78 and later) imports
 * ProcessPrng from bcryptprimitives.dll, so every Rust program fails to load without it.
 * This stand-in fills the buffer from RtlGenRandom (SystemFunction036, advapi32), which
 * takes a ULONG length, in chunks. It is installed into the Wine prefix only, never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
