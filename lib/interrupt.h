/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* A stop signal during a pass, for the one-shot verbs and the daemon alike.
 *
 * The signals are blocked while a pass runs, so they cannot kill the process
 * between a delete and its add. The router's progress callback
 * (router_set_progress()) asks interrupt_progress(): the first time it finds
 * one of the signals pending, it aborts the request in flight; what the pass
 * then does to end cleanly (its undo, the read after it, the logout) has
 * grace_usec, after which every request is aborted too. */
typedef struct Interrupt {
        sigset_t set;        /* the signals that stop a pass */
        uint64_t grace_usec;
        int signal;          /* the first one seen, 0: none */
        uint64_t deadline;   /* CLOCK_MONOTONIC, once signal is set */
} Interrupt;

/* SIGTERM, SIGINT and SIGHUP for a one-shot verb (SIGHUP: the terminal went);
 * blocks them. */
int interrupt_block_oneshot(Interrupt *i, uint64_t grace_usec);

/* The daemon's: SIGTERM and SIGINT, already blocked by its event loop (and
 * SIGHUP is a reload there). */
void interrupt_init(Interrupt *i, uint64_t grace_usec);

/* The progress callback (RouterProgress), with an Interrupt as userdata:
 * non-zero aborts the request in flight. */
int interrupt_progress(void *userdata);

/* Whether one of the signals is pending (or was seen); sets i->signal. */
bool interrupt_pending(Interrupt *i);

/* The exit code for a one-shot verb stopped by i->signal before it changed
 * anything: 128 + the signal, as the shell reports a process it killed. */
int interrupt_exit_code(const Interrupt *i);
