/* SPDX-License-Identifier: MIT */
/*
 * codec/: what every chunk of every object passes through on its way to and from the devices
 * (DESIGN.md section 3). Content hash (SHA-256 of the chunk, and a tree hash over the chunks of
 * an object), compression (zstd, skipped when it does not pay), optional encryption (AES-256-GCM,
 * a nonce per chunk), Reed-Solomon erasure coding (ISA-L, Cauchy matrix, k data + m parity
 * shards) and a crc32c per shard. Pure computation on caller-owned buffers: no I/O, no
 * allocation after zh_codec_create() (except zh_codec_seal/open, for control threads).
 *
 * Threads: a struct zh_codec is one core's context (compression and cipher contexts, scratch
 * buffers, the decode-matrix cache). Use one per reactor; calls on different codecs run in
 * parallel, calls on one codec must not overlap. The format of chunk headers is in
 * docs/format.md.
 */
#ifndef ZH_CODEC_H
#define ZH_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "numa/zh_platform.h"

#define ZH_CODEC_SHARDS_MAX   32 /* k + m */
#define ZH_CODEC_HDR_BYTES    192
#define ZH_CODEC_KEY_BYTES    32
#define ZH_CODEC_NONCE_BYTES  12
#define ZH_CODEC_TAG_BYTES    16
#define ZH_CODEC_HASH_BYTES   32
#define ZH_CODEC_HASH_HEX_LEN 64
#define ZH_CODEC_SHARD_ALIGN  64 /* shard lengths are multiples of this (SIMD width) */
#define ZH_CODEC_CHUNK_MAX    (64u << 20)
#define ZH_CODEC_VERSION      1
/* Before compressing a chunk, these slices spread over it are compressed at level 1 (the
 * probe); a chunk whose probe does not save 1/32 is stored raw. */
#define ZH_CODEC_PROBE_SLICES	   16
#define ZH_CODEC_PROBE_SLICE_BYTES 4096u

enum zh_codec_flag {
	ZH_CODEC_F_COMPRESSED = 1u << 0, /* payload is one zstd frame */
	ZH_CODEC_F_ENCRYPTED = 1u << 1,	 /* payload is AES-256-GCM ciphertext; tag in the header */
	ZH_CODEC_F_BOUND = 1u << 2,	 /* encrypted, and the tag also covers a binding */
};

/*
 * What else an encrypted chunk's tag may cover: the caller's binding of the chunk to its place
 * (the store's: the put that wrote it, and the chunk's index in its object), so that a chunk
 * moved to another place fails to authenticate there. Not stored in the header: the caller
 * gives it again to decode.
 */
#define ZH_CODEC_BIND_BYTES 16

struct zh_codec_opts {
	unsigned ec_k;	/**< data shards; default 8 */
	unsigned ec_m;	/**< parity shards; default 4; k + m <= 32 */
	int zstd_level; /**< 1..ZSTD_maxCLevel(); 0 stores every chunk uncompressed; default 3 */
	uint32_t compress_min_bytes;   /**< chunks smaller than this are not compressed; 4096 */
	uint32_t chunk_max_bytes;      /**< largest chunk; sizes the scratch; default 1 MiB */
	unsigned decode_cache_entries; /**< decode matrices kept; default 64 */
};

/** The seed's defaults (8+4, 1 MiB chunks, 4 KiB threshold) and the measured zstd level. */
void zh_codec_opts_default(struct zh_codec_opts *opts);

struct zh_codec;

/**
 * Allocate one core's codec: compression contexts, scratch and tables. The only allocating call.
 * \return 0, -EINVAL for bad options, -ENOMEM.
 */
ZH_MUST_CHECK int zh_codec_create(const struct zh_codec_opts *opts, struct zh_codec **out);
void zh_codec_destroy(struct zh_codec *codec);

/** The chunk header, decoded (host byte order). Packed form: ZH_CODEC_HDR_BYTES bytes. */
struct zh_codec_hdr {
	uint8_t version;
	uint8_t flags; /**< enum zh_codec_flag */
	uint8_t ec_k;
	uint8_t ec_m;
	uint32_t raw_bytes;    /**< chunk length before the codec */
	uint32_t stored_bytes; /**< payload length after compression and encryption */
	uint32_t shard_bytes;  /**< length of every shard, a multiple of ZH_CODEC_SHARD_ALIGN */
	uint8_t nonce[ZH_CODEC_NONCE_BYTES];
	uint8_t tag[ZH_CODEC_TAG_BYTES];
	uint32_t shard_crc[ZH_CODEC_SHARDS_MAX]; /**< crc32c of each shard; unused entries 0 */
};

/** Serialize \p hdr (which must be valid) into \p out, with its own crc32c. */
void zh_codec_hdr_pack(const struct zh_codec_hdr *hdr, uint8_t out[ZH_CODEC_HDR_BYTES]);

/**
 * Parse and validate a packed header from outside (a device, the metadata store, the network).
 * \return 0; -EBADMSG for a bad magic, crc, reserved field or inconsistent lengths;
 *         -EPROTONOSUPPORT for an unknown version or flag.
 */
ZH_MUST_CHECK int zh_codec_hdr_unpack(const uint8_t in[ZH_CODEC_HDR_BYTES],
				      struct zh_codec_hdr *hdr);

/** Shard length for a payload of \p stored_bytes split over \p k data shards. */
uint32_t zh_codec_shard_bytes(unsigned k, uint32_t stored_bytes);

/** Capacity the encoder needs for the contiguous data shards: k * the largest shard length. */
size_t zh_codec_data_bytes_max(const struct zh_codec *codec);
/** Capacity of each parity shard buffer, and of each shard buffer handed to the decoder. */
uint32_t zh_codec_shard_bytes_max(const struct zh_codec *codec);
unsigned zh_codec_k(const struct zh_codec *codec);
unsigned zh_codec_m(const struct zh_codec *codec);

struct zh_codec_key {
	uint8_t bytes[ZH_CODEC_KEY_BYTES];
};

/** What zh_codec_chunk_encode() produces. */
struct zh_codec_encoded {
	struct zh_codec_hdr hdr;
	uint8_t hash[ZH_CODEC_HASH_BYTES]; /**< leaf hash of the raw chunk (zh_codec_leaf_hash) */
	/**
	 * The k + m shards to write, hdr.shard_bytes each: data shards point into the caller's
	 * data buffer, or straight into the raw chunk where it is stored as is (a plain chunk that
	 * did not compress is never copied, except its last, padded shard); parity shards are the
	 * caller's parity buffers.
	 */
	const uint8_t *shard[ZH_CODEC_SHARDS_MAX];
};

/**
 * Encode one chunk: hash it, compress it when that pays, encrypt it when \p key is given, lay the
 * payload out over k data shards, compute m parity shards and a crc32c per shard.
 *
 * \param raw, raw_bytes  the chunk (raw_bytes <= chunk_max_bytes; 0 is allowed); it must stay
 *                        unchanged while out->shard[] is in use
 * \param key, nonce      both NULL (plain), or both set: the nonce must never repeat for a key
 *                        (the store counts up from a random start per reactor, format.md)
 * \param bind            NULL, or with a key ZH_CODEC_BIND_BYTES the tag covers too
 *                        (ZH_CODEC_F_BOUND): decode must be given the same
 * \param data            zh_codec_data_bytes_max() bytes for data shards that need laying out
 * \param parity          m buffers of zh_codec_shard_bytes_max() bytes
 * \param out             header, hash and shard pointers
 * \return 0, -E2BIG (chunk too long), -EINVAL (key without nonce or the reverse, or a bind
 *         without a key).
 */
ZH_MUST_CHECK int zh_codec_chunk_encode(struct zh_codec *codec, const void *raw, size_t raw_bytes,
					const struct zh_codec_key *key, const uint8_t *nonce,
					const uint8_t *bind, uint8_t *data, uint8_t *const parity[],
					struct zh_codec_encoded *out);

/**
 * Decode one chunk from the shards at hand. Every shard used is checked against its crc in
 * \p hdr; a bad one counts as lost. Lost data shards are rebuilt from parity (and checked against
 * their crc too); the payload is then authenticated and decrypted, decompressed, and written to
 * \p raw. The shard buffers are only read.
 *
 * \param shards   k + m pointers, shards[i] valid (shard_bytes bytes) when bit i of \p present
 * \param key      required for encrypted chunks, ignored otherwise
 * \param bind     the binding a bound chunk was encoded with; NULL for any other chunk
 * \param raw      hdr->raw_bytes bytes of output (raw_cap says how many there are)
 * \param bad      if not NULL: bit i set for each shard checked whose crc did not match (shards
 *                 are checked as they are used, up to k good ones: parity that was not needed
 *                 is not checked; scrub reads it to check every shard)
 * \return hdr->raw_bytes; -EIO when fewer than k shards are intact; -EBADMSG when the payload
 *         does not authenticate or decompress to raw_bytes (the output is zeroed);
 *         -ENOKEY for an encrypted chunk without key; -ENOTSUP for a header whose k and m are
 *         not this codec's; -EINVAL for an invalid header; -ENOSPC when raw_cap is too small.
 *         A bound chunk without a bind, or a bind for a chunk that is not bound, is -EBADMSG.
 */
ZH_MUST_CHECK int zh_codec_chunk_decode(struct zh_codec *codec, const struct zh_codec_hdr *hdr,
					const uint8_t *const shards[], uint32_t present,
					const struct zh_codec_key *key, const uint8_t *bind,
					void *raw, size_t raw_cap, uint32_t *bad);

/**
 * AES-256-GCM over one buffer outside the chunk pipeline (the store seals objects it keeps
 * inline in their metadata record). \p out (len bytes) may be \p in. Each call makes its own
 * cipher context: for control threads, not for a reactor's data path.
 * \return 0, -ENOMEM, -E2BIG (over INT_MAX), -EIO (the library refused).
 */
ZH_MUST_CHECK int zh_codec_seal(const struct zh_codec_key *key,
				const uint8_t nonce[ZH_CODEC_NONCE_BYTES], const void *aad,
				size_t aad_len, const void *in, size_t len, uint8_t *out,
				uint8_t tag[ZH_CODEC_TAG_BYTES]);
/**
 * Authenticate and decrypt what zh_codec_seal() made, with the same key, nonce and aad.
 * \return 0; -EBADMSG when it does not authenticate (\p out then holds garbage: do not use
 *         it); -ENOMEM, -E2BIG.
 */
ZH_MUST_CHECK int zh_codec_open(const struct zh_codec_key *key,
				const uint8_t nonce[ZH_CODEC_NONCE_BYTES], const void *aad,
				size_t aad_len, const void *in, size_t len,
				const uint8_t tag[ZH_CODEC_TAG_BYTES], uint8_t *out);

/**
 * Change the zstd level of chunks encoded from now on (0: store them uncompressed). The store's
 * `auto` level moves it chunk by chunk. \return 0, or -EINVAL outside 0..ZSTD_maxCLevel().
 */
ZH_MUST_CHECK int zh_codec_set_zstd_level(struct zh_codec *codec, int level);

/** Parity for k data shards of \p shard_bytes each, with the codec's cached encode tables. */
void zh_codec_ec_encode(struct zh_codec *codec, uint32_t shard_bytes, const uint8_t *const data[],
			uint8_t *const parity[]);

/**
 * Rebuild the shards in \p rebuild from k of the shards in \p present (the lowest-numbered k),
 * with a decode matrix from the codec's cache (computed and cached on a miss). Used for degraded
 * reads (rebuild data shards) and repair (any shard). Checksums are the caller's business here.
 * \return 0; -EIO when fewer than k shards are present; -EINVAL when \p rebuild overlaps
 *         \p present or names a shard past k + m.
 */
ZH_MUST_CHECK int zh_codec_ec_reconstruct(struct zh_codec *codec, uint32_t shard_bytes,
					  const uint8_t *const shards[], uint32_t present,
					  uint8_t *const out[], uint32_t rebuild);

/** crc32c (Castagnoli, as iSCSI and ext4 use it): ISA-L's folding implementation. */
uint32_t zh_codec_crc32c(const void *buf, size_t len);

#define ZH_CODEC_LEAF_SEGMENT_BYTES (32u << 10)

/**
 * A chunk's leaf hash, the tree hash's input (docs/format.md): SHA-256 over a domain tag and the
 * SHA-256 of each 32 KiB segment. With \p codec, the segments hash side by side in SIMD lanes
 * (that codec's context: not concurrently with other calls on it); with NULL, one after
 * another, from any thread. Both give the same hash. \p len at most UINT32_MAX.
 */
void zh_codec_leaf_hash(struct zh_codec *codec, const void *buf, size_t len,
			uint8_t out[ZH_CODEC_HASH_BYTES]);

/** SHA-256 of \p buf. Needs no codec state: \p codec may be NULL, from any thread. */
void zh_codec_sha256(struct zh_codec *codec, const void *buf, size_t len,
		     uint8_t out[ZH_CODEC_HASH_BYTES]);

/**
 * The object's content hash: SHA-256 over a domain tag, the chunk length and the chunks' SHA-256
 * hashes in order, then the object length (docs/format.md). Chunks can be hashed on any core in
 * any order; only this small final pass is sequential. Allocate trees at start-up and reset them
 * per object.
 */
struct zh_codec_tree;
ZH_MUST_CHECK int zh_codec_tree_create(struct zh_codec_tree **out);
void zh_codec_tree_destroy(struct zh_codec_tree *tree);
void zh_codec_tree_reset(struct zh_codec_tree *tree, uint32_t chunk_bytes);
void zh_codec_tree_add(struct zh_codec_tree *tree, const uint8_t chunk_hash[ZH_CODEC_HASH_BYTES],
		       uint32_t chunk_raw_bytes);
void zh_codec_tree_final(struct zh_codec_tree *tree, uint8_t out[ZH_CODEC_HASH_BYTES]);

/** Lower-case hex of a hash, NUL-terminated. */
void zh_codec_hash_hex(const uint8_t hash[ZH_CODEC_HASH_BYTES],
		       char out[ZH_CODEC_HASH_HEX_LEN + 1]);
/** Parse 64 hex digits (either case). \return 0 or -EINVAL. */
ZH_MUST_CHECK int zh_codec_hash_parse(const char *hex, uint8_t out[ZH_CODEC_HASH_BYTES]);

/** Time spent per stage of zh_codec_chunk_encode()/decode() since create, and counts. */
struct zh_codec_stats {
	uint64_t hash_ns, compress_ns, encrypt_ns, layout_ns, ec_ns, crc_ns;
	uint64_t verify_ns, rebuild_ns, decrypt_ns, decompress_ns, copy_ns;
	uint64_t chunks_encoded, chunks_compressed, chunks_decoded, chunks_degraded;
	uint64_t shards_bad, decode_cache_hits, decode_cache_misses;
};
void zh_codec_stats_get(const struct zh_codec *codec, struct zh_codec_stats *out);

/**
 * One line naming the SIMD paths this CPU gives ISA-L (erasure code, crc) and OpenSSL
 * (SHA-256, AES-GCM), e.g. "ec=avx512+gfni crc32c=avx512+vpclmulqdq sha256=sha-ni ...".
 * \return the length written (as snprintf).
 */
int zh_codec_simd_describe(char *buf, size_t len);

#endif /* ZH_CODEC_H */
