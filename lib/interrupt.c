/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "interrupt.h"
#include "time-util.h"

void interrupt_init(Interrupt *i, uint64_t grace_usec) {
        *i = (Interrupt){ .grace_usec = grace_usec };
        sigemptyset(&i->set);
        sigaddset(&i->set, SIGTERM);
        sigaddset(&i->set, SIGINT);
}

int interrupt_block_oneshot(Interrupt *i, uint64_t grace_usec) {
        interrupt_init(i, grace_usec);
        sigaddset(&i->set, SIGHUP);
        return sigprocmask(SIG_BLOCK, &i->set, NULL) < 0 ? -errno : 0;
}

bool interrupt_pending(Interrupt *i) {
        sigset_t s;

        if (i->signal)
                return true;
        if (sigpending(&s) < 0)
                return false;
        for (int sig = 1; sig < NSIG; sig++)
                if (sigismember(&i->set, sig) == 1 && sigismember(&s, sig) == 1) {
                        i->signal = sig;
                        i->deadline = now_usec(CLOCK_MONOTONIC) + i->grace_usec;
                        return true;
                }
        return false;
}

int interrupt_progress(void *userdata) {
        Interrupt *i = userdata;

        if (i->signal)
                return now_usec(CLOCK_MONOTONIC) >= i->deadline;
        return interrupt_pending(i); /* the first time: abort what is in flight */
}

int interrupt_exit_code(const Interrupt *i) {
        return 128 + i->signal;
}
