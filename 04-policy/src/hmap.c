/*
 * hmap.c — the one hash map of layer 04-policy: (parent id, bytes) -> value.
 *
 * Layer 04 (policy). Builds on libc only. Used by lookup.c for every trie edge
 * (parent node, label or component) and every name/prefix table, and by
 * policy.c to find duplicate rules.
 *
 * Open addressing with linear probing; capacity a power of two, at most half
 * full, so a miss ends at an empty slot after a short run. Slots are 32 bytes and
 * keys of up to 16 bytes are copied into the slot (one cache line per probe);
 * longer keys point at storage the caller keeps alive (a rule's strings).
 * Read-only use (hmap_get) is thread-safe; building is single-threaded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t hash_key(uint32_t parent, const char *k, uint32_t len)
{
	const uint64_t m = 0x9E3779B97F4A7C15ull;
	uint64_t h = ((uint64_t)parent + 0x51ED27ull) * m ^ len, w;

	while (len >= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
		k += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, k, len);
	h = (h ^ w ^ ((uint64_t)len << 59)) * m;
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

int hmap_init(struct hmap *m, size_t expect)
{
	size_t cap = 16;

	while (cap < expect * 2)
		cap *= 2;
	m->s = calloc(cap, sizeof(*m->s));
	if (!m->s)
		return -ENOMEM;
	m->mask = cap - 1;
	m->n = 0;
	return 0;
}

void hmap_free(struct hmap *m)
{
	free(m->s);
	m->s = NULL;
	m->mask = m->n = 0;
}

static void slot_place(struct hslot *s, size_t mask, const struct hslot *e)
{
	size_t i = e->hash & mask;

	while (s[i].hash)
		i = (i + 1) & mask;
	s[i] = *e;
}

int hmap_reserve(struct hmap *m, size_t n)
{
	size_t cap = m->mask + 1;
	struct hslot *s;

	if (m->s && n * 2 <= cap)
		return 0;
	while (cap < n * 2)
		cap *= 2;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; m->s && i <= m->mask; i++)
		if (m->s[i].hash)
			slot_place(s, cap - 1, &m->s[i]);
	free(m->s);
	m->s = s;
	m->mask = cap - 1;
	return 0;
}

uint32_t hmap_get(const struct hmap *m, uint32_t parent, const char *key, uint32_t len)
{
	uint32_t h = hash_key(parent, key, len);
	size_t i = h & m->mask;

	for (;; i = (i + 1) & m->mask) {
		const struct hslot *s = &m->s[i];
		if (!s->hash)
			return UINT32_MAX;
		if (s->hash == h && s->parent == parent && s->len == len &&
		    memcmp(len <= HSLOT_INLINE ? s->k.inl : s->k.ptr, key, len) == 0)
			return s->value;
	}
}

uint32_t hmap_put(struct hmap *m, uint32_t parent, const char *key, uint32_t len, uint32_t value)
{
	uint32_t old = hmap_get(m, parent, key, len);
	struct hslot e = { hash_key(parent, key, len), parent, value, len, { { 0 } } };

	if (old != UINT32_MAX)
		return old;
	if (len <= HSLOT_INLINE)
		memcpy(e.k.inl, key, len);
	else
		e.k.ptr = key;
	if (hmap_reserve(m, m->n + 1) < 0)
		return UINT32_MAX;
	slot_place(m->s, m->mask, &e);
	m->n++;
	return value;
}
