/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* Reads the regular file at path into buf, which holds max + 1 bytes: one
 * more than the limit is read, so that a file that grew past max since it
 * was looked at is still told apart. Opens with O_NONBLOCK (a FIFO or a
 * device never blocks the caller) and O_CLOEXEC.
 *
 * Returns 0 with the size in *ret_size; -EISDIR; -EINVAL for anything but a
 * regular file; -EFBIG when the file is larger than max; or the -errno of
 * open(), fstat() or read(). *ret_st (may be NULL) gets the file's stat once
 * it was opened; *ret_opened says whether open() succeeded. On failure buf
 * is wiped: it may hold a part of a secret. */
int read_file_bounded(const char *path, size_t max, char *buf, size_t *ret_size, struct stat *ret_st,
                      bool *ret_opened);

/* The reading part of read_file_bounded(), from an open fd (standard input
 * for 'portkeep check -'): 0 with the size, -EFBIG past max, or read()'s
 * -errno; buf (max + 1 bytes) is wiped on failure. */
int read_fd_bounded(int fd, size_t max, char *buf, size_t *ret_size);

/* Writes path whole or not at all: print() writes into a temporary file in
 * the same directory, which is then renamed over path (mode applied first).
 * A reader never sees half of it. Returns 0 or -errno. */
int write_file_atomic(const char *path, mode_t mode, void (*print)(FILE *f, const void *userdata),
                      const void *userdata);
