/*
 * Phaul's test workload: a process whose state can be checked after a migration.
 *
 *   workload MEMORY_MIB STATUS_FILE [DIRTY_PAGES_PER_TICK [HOT_SET_PAGES [APPEND_FILE]]]
 *
 * It fills MEMORY_MIB with a position-dependent pattern, then loops about every
 * millisecond: it advances a counter kept only in memory, verifies a slice of
 * the pattern, optionally rewrites DIRTY_PAGES_PER_TICK pages (same values, so
 * the pattern holds but the pages become dirty for pre-copy), and records the
 * largest gap between two loop turns: the downtime the process saw. Every
 * STATUS_PERIOD turns it replaces STATUS_FILE with key=value lines.
 *
 * The rewritten pages rotate through the whole memory, or, with HOT_SET_PAGES
 * above 0, through only its first HOT_SET_PAGES pages: a bounded dirty set, so
 * pre-copy converges however slowly each pre-dump runs.
 *
 * The gap is measured twice. CRIU restores a tree into a new time namespace
 * whose CLOCK_MONOTONIC offset hides most of the time the tree was stopped, so
 * max_gap_us (monotonic) is what the process's own clock shows; CLOCK_REALTIME
 * is not namespaced, so max_wall_gap_us shows the whole stop.
 *
 * With APPEND_FILE, it keeps that file open (O_APPEND) for its whole life and
 * appends one numbered line ("1", "2", ...) every STATUS_PERIOD turns, before
 * each status update, which reports the count as appended_lines: after a
 * migration with its files, the file must hold 1..appended_lines, no gap, no
 * duplicate.
 *
 * Meant to run as the root of its own PID namespace with stdio on /dev/null.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_WORDS (4096 / sizeof(uint64_t))
#define VERIFY_WORDS_PER_TURN (64 * PAGE_WORDS)
#define STATUS_PERIOD 10

static uint64_t pattern(uint64_t index)
{
	return (index * 0x9E3779B97F4A7C15ull) ^ 0x5A5A5A5A5A5A5A5Aull;
}

static uint64_t now_us(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct state {
	uint64_t counter;
	uint64_t max_gap_us;
	uint64_t max_wall_gap_us;
	uint64_t bad_words;
	uint64_t verified_words;
	uint64_t dirtied_pages;
	uint64_t appended_lines;
};

static void write_status(const char *path, const struct state *s, size_t words)
{
	char tmp[4096], text[512];
	int len, fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	len = snprintf(text, sizeof(text),
		       "counter=%llu\nmax_gap_us=%llu\nbad_words=%llu\nverified_words=%llu\n"
		       "dirtied_pages=%llu\nmemory_words=%zu\nmax_wall_gap_us=%llu\nappended_lines=%llu\n",
		       (unsigned long long)s->counter, (unsigned long long)s->max_gap_us,
		       (unsigned long long)s->bad_words, (unsigned long long)s->verified_words,
		       (unsigned long long)s->dirtied_pages, words, (unsigned long long)s->max_wall_gap_us,
		       (unsigned long long)s->appended_lines);
	/* Open and close each time: no fd stays open across a dump. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, len) == len)
		rename(tmp, path);
	close(fd);
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 1000000 };
	struct state s = { 0 };
	size_t words, dirty_words, verify_at = 0, dirty_at = 0, i;
	uint64_t *memory, last, now, wall_last, wall_now;
	long dirty_pages, hot_set_pages;
	int append_fd = -1;

	if (argc < 3) {
		fprintf(stderr, "usage: %s MEMORY_MIB STATUS_FILE [DIRTY_PAGES_PER_TICK [HOT_SET_PAGES [APPEND_FILE]]]\n",
			argv[0]);
		return 2;
	}
	words = (size_t)atol(argv[1]) * 1024 * 1024 / sizeof(uint64_t);
	dirty_pages = argc > 3 ? atol(argv[3]) : 0;
	hot_set_pages = argc > 4 ? atol(argv[4]) : 0;
	if (argc > 5 && argv[5][0] != '\0') {
		append_fd = open(argv[5], O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (append_fd < 0)
			return 4;
	}
	if (words < PAGE_WORDS)
		words = PAGE_WORDS;
	dirty_words = words;
	if (hot_set_pages > 0 && (size_t)hot_set_pages * PAGE_WORDS < words)
		dirty_words = (size_t)hot_set_pages * PAGE_WORDS;

	memory = mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (memory == MAP_FAILED)
		return 3;
	for (i = 0; i < words; i++)
		memory[i] = pattern(i);

	last = now_us(CLOCK_MONOTONIC);
	wall_last = now_us(CLOCK_REALTIME);
	for (;;) {
		nanosleep(&tick, NULL);
		now = now_us(CLOCK_MONOTONIC);
		if (now - last > s.max_gap_us)
			s.max_gap_us = now - last;
		last = now;
		/* The wall clock may be stepped back; such a turn measures nothing. */
		wall_now = now_us(CLOCK_REALTIME);
		if (wall_now > wall_last && wall_now - wall_last > s.max_wall_gap_us)
			s.max_wall_gap_us = wall_now - wall_last;
		wall_last = wall_now;
		s.counter++;

		for (i = 0; i < VERIFY_WORDS_PER_TURN; i++) {
			if (memory[verify_at] != pattern(verify_at))
				s.bad_words++;
			verify_at = (verify_at + 1) % words;
		}
		s.verified_words += VERIFY_WORDS_PER_TURN;

		for (i = 0; i < (size_t)dirty_pages; i++) {
			memory[dirty_at] = pattern(dirty_at);
			dirty_at = (dirty_at + PAGE_WORDS) % dirty_words;
			s.dirtied_pages++;
		}

		if (s.counter % STATUS_PERIOD == 0) {
			if (append_fd >= 0) {
				char line[32];
				int len = snprintf(line, sizeof(line), "%llu\n",
						   (unsigned long long)s.appended_lines + 1);
				if (write(append_fd, line, len) == len)
					s.appended_lines++;
			}
			write_status(argv[2], &s, words);
		}
	}
}
