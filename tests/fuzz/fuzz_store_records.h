/* SPDX-License-Identifier: MIT */
/*
 * fuzz_store_records.h - the mode byte that starts every fuzz_store_records input, shared by the
 * harness and by record_seeds.c, which writes its seed corpus.
 */
#ifndef ZH_FUZZ_STORE_RECORDS_H
#define ZH_FUZZ_STORE_RECORDS_H

/** Bits 0-2 (mod REC_KINDS): which record the bytes after the mode byte are. */
enum { REC_SB, REC_STORE, REC_OBJECT, REC_CHUNK, REC_ACCESS, REC_KINDS };

/** Bit 4: re-seal what a checksum guards, so the field checks behind it are reached. */
#define MODE_RESEAL 0x10u

#endif
