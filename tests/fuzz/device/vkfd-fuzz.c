/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd-fuzz: a structure-aware fuzzer of the vkfd QEMU device.
 *
 * It starts qemu-system-x86_64 with "-qtest stdio" and plays a hostile
 * guest through the qtest text protocol: it programs the PCI topology
 * itself (q35's MMCONFIG window, a pcie-root-port or a pci-bridge above
 * the device, BARs, MSI-X), builds GPUVM page tables and MQDs in guest
 * RAM, and sends real scheduler commands and PM4, SDMA and AQL packets,
 * aiming many of the device's own writes (fences, MQD write-backs, IH
 * entries, MSI-X messages, page-table leaves) at MMIO: the parent
 * bridge's config space, the device's own registers, the MCH.  It also
 * dispatches kernels of hostile GFX9 code on the shader core (op_shader).
 *
 * The operations come from a seeded generator, never from what QEMU
 * answers, so a seed always sends the same commands.  Work is cut in
 * rounds: one QEMU (one topology) runs a number of operations, maybe
 * migrates to a second QEMU, then must pass a health check (the device
 * still runs a NOP command).  A round that ends in a crash, a sanitizer
 * report, a hang or a failed health check is a finding: everything sent
 * to QEMU in that round is saved as a qtest script, which
 * "vkfd-fuzz --replay FILE" (or "qemu-system-x86_64 ARGS -qtest stdio <
 * FILE" for scripts without "# migrate") plays again.
 *
 * Exit status: 0 no finding, 1 findings (or a failed replay), 2 usage or
 * set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hw/kfd/vkfd_hw.h"

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

/* Guest physical layout (the machine has 256 MiB of RAM). */
#define RAM_SIZE        (256ull << 20)
#define MMCFG_BASE      0xb0000000ull       /* q35 PCIEXBAR, 256 buses */
#define MEM_WIN         0xc0000000ull       /* non-prefetchable BARs */
#define PREF_WIN        0xc8000000ull       /* prefetchable BARs */
#define WIN_SIZE        0x08000000ull
#define PA_SCHED        0x01000000ull       /* scheduler ring, <= 64 KiB */
#define PA_FENCES       0x01100000ull
#define PA_IH           0x01200000ull       /* IH ring, <= 64 KiB */
#define PA_MSI          0x01300000ull       /* where MSI-X messages land */
#define PA_MQD          0x01400000ull       /* one 128-byte MQD per queue */
#define PA_PT           0x02000000ull       /* page-table pool */
#define PT_POOL         0x00800000ull
#define NCTX            4                   /* user contexts 1..NCTX */
#define PA_CTX(c)       (0x04000000ull + (uint64_t)(c) * 0x200000)

/*
 * Each context sees its 2 MiB of RAM at VA_WIN through one 2 MiB leaf,
 * and a page table of odd 4 KiB leaves right above it (VA_ODD).
 */
#define VA_WIN          0x40000000ull
#define VA_ODD          (VA_WIN + 0x200000)
#define WIN_RINGS       0x000000            /* 64 KiB per queue slot */
#define WIN_PTRS        0x100000            /* rptr +0, wptr +8, 256 each */
#define WIN_SIGNALS     0x110000
#define WIN_KDESC       0x120000
#define WIN_KARGS       0x130000
#define WIN_IBS         0x140000            /* 16 KiB per IB */
#define WIN_DATA        0x180000
#define WIN_DATA_SIZE   0x080000
#define NQUEUES         16
#define MAX_ARGS        40

enum { TOPO_ROOT, TOPO_ROOT_PORT, TOPO_BRIDGE, NTOPO };
static const char *const topo_name[NTOPO] = {
    "root-bus", "root-port", "pci-bridge",
};

typedef struct Rng {
    uint64_t s;
} Rng;

typedef struct FQueue {
    bool used;
    int ctx;
    uint32_t type;
    uint32_t doorbell;
    uint32_t ring_size;
    uint64_t wptr;          /* in the queue's units */
} FQueue;

typedef struct Session {
    pid_t pid;
    int to_fd, from_fd;
    char rbuf[65536];
    size_t rlen;
    char *obuf;
    size_t olen, ocap;
    unsigned pending;
    char last[4096];        /* the last reply read */
    bool starting;          /* no reply yet: QEMU is still starting */
    char err_path[256];
    char qmp_path[100];
} Session;

typedef struct Fuzz {
    const char *qemu_bin;
    const char *out_dir;
    Rng rng;
    uint64_t seed;
    int topo;
    Session q;
    char *args[MAX_ARGS];
    int nargs;
    /* the script of this round */
    char *script;
    size_t slen, scap;
    bool recording;
    /* PCI */
    uint32_t dev_bdf;       /* bus << 8 | devfn of vkfd */
    uint32_t parent_bdf;    /* the bridge above it, or the MCH */
    unsigned parent_pcie_cap;
    unsigned msix_cap;
    uint64_t bar[6];
    uint64_t bar_size[6];
    /* device model */
    uint32_t sched_size;
    uint32_t sched_wptr;
    uint32_t seq;
    uint64_t pt_next;
    uint64_t root[NCTX + 1];
    uint64_t odd_table[NCTX + 1];
    bool ctx_live[NCTX + 1];    /* what the fuzzer believes */
    FQueue queues[NQUEUES];
    /* statistics */
    uint64_t ops, cmds, rounds, findings, migrations, known;
    uint64_t mutations, refused;    /* mutated streams: made, refused */
    uint64_t shaders;               /* shader kernels dispatched */
    double worst_reply;
} Fuzz;

static bool verbose;
static bool quiet;          /* replays of the minimizer print nothing */
static char last_why[256];  /* why the last replay failed */
static volatile sig_atomic_t stop_requested;   /* SIGINT or SIGTERM */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}
static bool keep_all;       /* save every round's script, found or not */

static pid_t child_qemu;    /* stopped by die() too */

static void die(const char *fmt, ...)
{
    va_list ap;

    if (child_qemu > 0) {
        kill(child_qemu, SIGKILL);
        waitpid(child_qemu, NULL, 0);
    }
    va_start(ap, fmt);
    fputs("vkfd-fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: small, fast, and the same on every host. */
static uint64_t rnd(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(Rng *r, uint64_t n)
{
    return n ? rnd(r) % n : 0;
}

/* true with probability pct/100 */
static bool chance(Rng *r, unsigned pct)
{
    return below(r, 100) < pct;
}

/* Values that mean something somewhere: reset bits, bridge and slot bits. */
static uint32_t odd_u32(Rng *r)
{
    static const uint32_t v[] = {
        0, 1, 2, 4, 0x40, 0xff, 0x400, 0x1000, 0xffff, 0x10000, 0x00400000,
        0x00400040, 0x04000000, 0x40000000, 0x7fffffff, 0x80000000,
        0x80000001, 0xfffffffc, 0xffffffff,
    };

    return chance(r, 60) ? v[below(r, ARRAY_SIZE(v))] : (uint32_t)rnd(r);
}

static uint64_t odd_u64(Rng *r)
{
    static const uint64_t v[] = {
        0, 8, 0x1000, 1ull << 32, 1ull << 47, 1ull << 48, (1ull << 48) - 8,
        0x0040000000000000ull, 0x8000000000000000ull, ~0ull, ~0ull - 7,
        ~0ull - 0x27, ~0ull - 0xfff,
    };

    if (chance(r, 50)) {
        return v[below(r, ARRAY_SIZE(v))];
    }
    return chance(r, 50) ? odd_u32(r) : rnd(r);
}

/* ---- talking to QEMU ---------------------------------------------- */

static void script_add(Fuzz *f, const char *s, size_t n)
{
    if (!f->recording) {
        return;
    }
    if (f->slen + n + 1 > f->scap) {
        f->scap = (f->slen + n + 1) * 2;
        f->script = realloc(f->script, f->scap);
        if (!f->script) {
            die("out of memory");
        }
    }
    memcpy(f->script + f->slen, s, n);
    f->slen += n;
    f->script[f->slen] = 0;
}

static void note(Fuzz *f, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n > (int)sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    script_add(f, line, n);
}

/* Why a session with QEMU broke off. */
enum { Q_OK, Q_EOF, Q_HANG };

static int q_readline(Session *q, char *line, size_t size, int timeout_ms)
{
    char *nl;
    ssize_t n;
    size_t len;
    struct pollfd pfd = { .fd = q->from_fd, .events = POLLIN };

    for (;;) {
        nl = memchr(q->rbuf, '\n', q->rlen);
        if (nl) {
            len = nl - q->rbuf;
            if (len >= size) {
                len = size - 1;
            }
            memcpy(line, q->rbuf, len);
            line[len] = 0;
            len = nl - q->rbuf + 1;
            memmove(q->rbuf, q->rbuf + len, q->rlen - len);
            q->rlen -= len;
            return Q_OK;
        }
        if (q->rlen == sizeof(q->rbuf)) {
            die("reply line too long");
        }
        n = poll(&pfd, 1, timeout_ms);
        if (n == 0) {
            return Q_HANG;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;       /* a stop request: finish the operation */
            }
            die("poll: %s", strerror(errno));
        }
        n = read(q->from_fd, q->rbuf + q->rlen, sizeof(q->rbuf) - q->rlen);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return Q_EOF;
        }
        q->rlen += n;
    }
}

static int reply_timeout_ms = 60000;
/*
 * --slow-batch S: a batch of commands that took QEMU longer than S seconds
 * to answer is a finding (an unbounded bottom-half run: a queue's turn
 * that does far more than its budget); 0: only the slowest is shown.
 */
static double slow_batch;
static char slow_why[128];      /* the first slow batch of the round */

/* A decimal or 0x-prefixed hex number; parsing stops at the first non-digit. */
static uint64_t parse_u64(const char *p)
{
    uint64_t v = 0;
    unsigned base = 10, d;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            d = *p - '0';
        } else if (base == 16 && *p >= 'a' && *p <= 'f') {
            d = *p - 'a' + 10;
        } else if (base == 16 && *p >= 'A' && *p <= 'F') {
            d = *p - 'A' + 10;
        } else {
            return v;
        }
        if (d >= base) {
            return v;
        }
        v = v * base + d;
    }
}

static void on_signal(int sig, void (*fn)(int))
{
    struct sigaction sa = { .sa_handler = fn };

    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* Send what is queued and read every reply; the last one into last. */
static int q_flush(Fuzz *f, char *last, size_t size)
{
    Session *q = &f->q;
    char line[4096];
    size_t off = 0;
    ssize_t n;
    double t0 = now(), dt;
    int rc;

    if (q->olen) {
        /* replays send the same batches, so QEMU sees the same reads */
        script_add(f, "# sync\n", 7);
    }
    while (off < q->olen) {
        n = write(q->to_fd, q->obuf + off, q->olen - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            q->olen = 0;
            q->pending = 0;
            return Q_EOF;
        }
        off += n;
    }
    q->olen = 0;
    while (q->pending) {
        rc = q_readline(q, line, sizeof(line), reply_timeout_ms);
        if (rc != Q_OK) {
            q->pending = 0;
            return rc;
        }
        if (strncmp(line, "OK", 2) && strncmp(line, "FAIL", 4) &&
            strncmp(line, "ERR", 3)) {
            continue;       /* not a reply: an IRQ line or noise */
        }
        if (strncmp(line, "OK", 2)) {
            die("QEMU refused a command of ours: %s", line);
        }
        q->pending--;
        snprintf(q->last, sizeof(q->last), "%s", line);
    }
    if (last) {
        snprintf(last, size, "%s", q->last);
    }
    dt = now() - t0;
    if (q->starting) {
        q->starting = false;    /* that was QEMU's start-up, not a reply */
    } else {
        if (dt > f->worst_reply) {
            f->worst_reply = dt;
        }
        if (slow_batch > 0 && dt > slow_batch && !*slow_why) {
            snprintf(slow_why, sizeof(slow_why), "a batch took %.3f s "
                     "(--slow-batch %.3f)", dt, slow_batch);
        }
    }
    return Q_OK;
}

static int qstate;      /* Q_OK until the session breaks */
/*
 * The commands of one operation go to QEMU in one write (up to this many
 * bytes; 0 sends each alone), and the script marks each batch ("# sync")
 * so that a replay writes the very same batches: QEMU then reads the
 * same chunks and runs its bottom halves at the same points.
 */
static size_t batch_bytes = 32768;

static void cmd(Fuzz *f, const char *fmt, ...)
{
    Session *q = &f->q;
    char line[4096];
    va_list ap;
    int n;

    if (qstate != Q_OK) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n > (int)sizeof(line) - 2) {
        die("command too long");
    }
    line[n++] = '\n';
    script_add(f, line, n);
    if (q->olen + n > q->ocap) {
        q->ocap = (q->olen + n) * 2;
        q->obuf = realloc(q->obuf, q->ocap);
        if (!q->obuf) {
            die("out of memory");
        }
    }
    memcpy(q->obuf + q->olen, line, n);
    q->olen += n;
    q->pending++;
    f->cmds++;
    if (q->olen > batch_bytes) {
        qstate = q_flush(f, NULL, 0);
    }
}

static void sync_q(Fuzz *f)
{
    if (qstate == Q_OK) {
        qstate = q_flush(f, NULL, 0);
    }
}

static uint64_t cmd_read(Fuzz *f, const char *fmt, ...)
{
    char line[4096], reply[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    cmd(f, "%s", line);
    sync_q(f);
    if (qstate != Q_OK) {
        return ~0ull;
    }
    snprintf(reply, sizeof(reply), "%s", f->q.last);
    return strlen(reply) > 3 ? parse_u64(reply + 3) : 0;
}

static void wl(Fuzz *f, uint64_t a, uint32_t v)
{
    cmd(f, "writel 0x%" PRIx64 " 0x%x", a, v);
}

static void wq(Fuzz *f, uint64_t a, uint64_t v)
{
    cmd(f, "writeq 0x%" PRIx64 " 0x%" PRIx64, a, v);
}

static void wbytes(Fuzz *f, uint64_t a, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = p;
    char buf[2 * 1024 + 1];
    size_t i, chunk;

    while (n) {
        chunk = n > 1024 ? 1024 : n;
        for (i = 0; i < chunk; i++) {
            buf[2 * i] = hex[b[i] >> 4];
            buf[2 * i + 1] = hex[b[i] & 15];
        }
        buf[2 * chunk] = 0;
        cmd(f, "write 0x%" PRIx64 " 0x%zx 0x%s", a, chunk, buf);
        a += chunk;
        b += chunk;
        n -= chunk;
    }
}

/* ---- PCI ----------------------------------------------------------- */

static uint64_t cfg_addr(uint32_t bdf, unsigned reg)
{
    return MMCFG_BASE + ((uint64_t)bdf << 12) + reg;
}

static uint32_t cfg_rl(Fuzz *f, uint32_t bdf, unsigned reg)
{
    return cmd_read(f, "readl 0x%" PRIx64, cfg_addr(bdf, reg));
}

static void cfg_wl(Fuzz *f, uint32_t bdf, unsigned reg, uint32_t v)
{
    wl(f, cfg_addr(bdf, reg), v);
}

static void cfg_ww(Fuzz *f, uint32_t bdf, unsigned reg, uint16_t v)
{
    cmd(f, "writew 0x%" PRIx64 " 0x%x", cfg_addr(bdf, reg), v);
}

static unsigned find_cap(Fuzz *f, uint32_t bdf, uint8_t id)
{
    unsigned p = cfg_rl(f, bdf, 0x34) & 0xfc;
    int guard;

    for (guard = 0; p && guard < 48; guard++) {
        uint32_t h = cfg_rl(f, bdf, p);

        if ((h & 0xff) == id) {
            return p;
        }
        p = (h >> 8) & 0xfc;
    }
    return 0;
}

static void bridge_setup(Fuzz *f, uint32_t bdf, unsigned secondary)
{
    /* bus numbers, windows (I/O closed), memory and bus master on */
    cfg_wl(f, bdf, 0x18, secondary << 8 | secondary << 16);
    cfg_wl(f, bdf, 0x1c, 0x00f0);
    cfg_wl(f, bdf, 0x20, (uint32_t)(((MEM_WIN + WIN_SIZE - 1) >> 16) &
                                    0xfff0) << 16 | (MEM_WIN >> 16));
    cfg_wl(f, bdf, 0x24, (uint32_t)(((PREF_WIN + WIN_SIZE - 1) >> 16) &
                                    0xfff0) << 16 | (PREF_WIN >> 16));
    cfg_wl(f, bdf, 0x28, 0);
    cfg_wl(f, bdf, 0x2c, 0);
    cfg_wl(f, bdf, 0x3c, 0);
    cfg_ww(f, bdf, 0x04, 0x0006);
}

/*
 * Bring the topology up as firmware would: MMCONFIG on, bridges numbered
 * and opened, vkfd's BARs placed, memory and bus master on, the root
 * port's slot powered.  Returns false if the device is not where it
 * should be (then QEMU is broken, not the fuzzer).
 */
static bool pci_setup(Fuzz *f)
{
    uint64_t mem = MEM_WIN, pref = PREF_WIN, *next, sz;
    uint32_t lo, hi;
    unsigned i;

    cmd(f, "outl 0xcf8 0x80000064");
    cmd(f, "outl 0xcfc 0x0");
    cmd(f, "outl 0xcf8 0x80000060");
    cmd(f, "outl 0xcfc 0x%x", (uint32_t)MMCFG_BASE | 1);
    if (f->topo != TOPO_ROOT) {
        bridge_setup(f, f->parent_bdf, 1);
        if (f->topo == TOPO_ROOT_PORT) {
            f->parent_pcie_cap = find_cap(f, f->parent_bdf, 0x10);
            if (f->parent_pcie_cap) {
                /* slot control: power on, indicators off */
                cfg_ww(f, f->parent_bdf, f->parent_pcie_cap + 0x18, 0x03c0);
            }
        }
    }
    if (cfg_rl(f, f->dev_bdf, 0) !=
        (VKFD_PCI_DEVICE_ID << 16 | VKFD_PCI_VENDOR_ID)) {
        return false;
    }
    cfg_ww(f, f->dev_bdf, 0x04, 0);
    for (i = 0; i < 6; i++) {
        lo = cfg_rl(f, f->dev_bdf, 0x10 + 4 * i);
        cfg_wl(f, f->dev_bdf, 0x10 + 4 * i, 0xffffffff);
        sz = cfg_rl(f, f->dev_bdf, 0x10 + 4 * i);
        f->bar_size[i] = 0;
        if (!sz || (lo & 1)) {
            continue;
        }
        if ((lo & 6) == 4) {
            cfg_wl(f, f->dev_bdf, 0x14 + 4 * i, 0xffffffff);
            hi = cfg_rl(f, f->dev_bdf, 0x14 + 4 * i);
            sz = ~((uint64_t)hi << 32 | (sz & ~0xfull)) + 1;
        } else {
            sz = (uint32_t)(~(sz & ~0xfu) + 1);
        }
        next = (lo & 8) ? &pref : &mem;
        *next = (*next + sz - 1) & ~(sz - 1);
        f->bar[i] = *next;
        f->bar_size[i] = sz;
        *next += sz;
        cfg_wl(f, f->dev_bdf, 0x10 + 4 * i, (uint32_t)f->bar[i]);
        if ((lo & 6) == 4) {
            cfg_wl(f, f->dev_bdf, 0x14 + 4 * i, f->bar[i] >> 32);
            i++;
        }
    }
    cfg_ww(f, f->dev_bdf, 0x04, 0x0006);
    f->msix_cap = find_cap(f, f->dev_bdf, 0x11);
    return f->bar_size[VKFD_BAR_REGS] && f->bar_size[VKFD_BAR_DOORBELL] &&
           f->msix_cap;
}

static uint64_t reg(Fuzz *f, unsigned r)
{
    return f->bar[VKFD_BAR_REGS] + r;
}

/* ---- addresses the device is told to use ------------------------- */

/* A guest address that is not plain RAM, or not usable at all. */
static uint64_t hostile_pa(Fuzz *f)
{
    Rng *r = &f->rng;
    uint64_t slot = f->parent_pcie_cap ? f->parent_pcie_cap + 0x18 : 0x3c;
    static const unsigned bridge_regs[] = { 0x04, 0x18, 0x1c, 0x20, 0x3c };
    static const unsigned dev_regs[] = {
        VKFD_REG_CONTROL, VKFD_REG_SCHED_WPTR, VKFD_REG_SCHED_BASE_LO,
        VKFD_REG_IH_CNTL, VKFD_REG_IH_RPTR, VKFD_REG_VM_FAULT_STATUS,
    };

    switch (below(r, 12)) {
    case 0: case 1: case 2:
        /* the parent bridge's config space, often Bridge Control */
        return cfg_addr(f->parent_bdf,
                        chance(r, 50) ? 0x3c :
                        chance(r, 50) ? slot :
                        bridge_regs[below(r, ARRAY_SIZE(bridge_regs))]);
    case 3:
        return cfg_addr(f->dev_bdf, chance(r, 50) ? 0x04 :
                        (below(r, 0x40) & ~3u));
    case 4: case 5:
        return reg(f, dev_regs[below(r, ARRAY_SIZE(dev_regs))]);
    case 6:
        return f->bar[VKFD_BAR_MSIX] + (below(r, 0x40) & ~3u);
    case 7:
        return f->bar[VKFD_BAR_DOORBELL] + (below(r, 8) * 0x2000) +
               below(r, 4) * 8;
    case 8:
        return cfg_addr(0, 0x60);   /* the MCH's PCIEXBAR */
    case 9:
        return 0xfee00000ull;
    case 10:
        return chance(r, 50) ? RAM_SIZE + below(r, 1u << 20) * 8 :
                               0xfffff000ull;
    default:
        return odd_u64(r) & ~7ull;
    }
}

/* Mostly a good fence slot; sometimes none, sometimes a hostile one. */
static uint64_t fence_addr(Fuzz *f)
{
    Rng *r = &f->rng;
    unsigned k = below(r, 100);

    if (k < 78) {
        return PA_FENCES + below(r, 256) * 8;
    }
    if (k < 84) {
        return 0;
    }
    if (k < 86) {
        return PA_FENCES + 4;       /* unaligned */
    }
    return hostile_pa(f);
}

static uint64_t win_pa(int ctx, uint64_t off)
{
    return PA_CTX(ctx) + off;
}

/* A GPU VA of a context for a packet or command to use. */
static uint64_t gpu_va(Fuzz *f, uint64_t len)
{
    Rng *r = &f->rng;
    unsigned k = below(r, 100);

    if (len > WIN_DATA_SIZE) {
        len = WIN_DATA_SIZE;
    }
    if (k < 84) {
        return VA_WIN + WIN_DATA + (below(r, WIN_DATA_SIZE - len + 1) & ~3ull);
    }
    if (k < 90) {
        return VA_WIN + (below(r, 0x200000) & ~3ull);
    }
    if (k < 96) {
        return VA_ODD + below(r, 8) * 0x1000 + (below(r, 0x1000) & ~3ull);
    }
    return odd_u64(r) & ~3ull;
}

static uint64_t xfer_len(Rng *r, uint64_t max)
{
    unsigned k = below(r, 100);

    if (k < 70) {
        return (below(r, 4096) + 4) & ~3ull;
    }
    if (k < 95) {
        return (below(r, 65536) + 4) & ~3ull;
    }
    return k < 99 ? (below(r, max) + 4) & ~3ull : max;
}

/* ---- page tables --------------------------------------------------- */

static uint64_t pt_alloc(Fuzz *f)
{
    uint64_t t = PA_PT + f->pt_next;

    f->pt_next = (f->pt_next + 0x1000) % PT_POOL;
    cmd(f, "memset 0x%" PRIx64 " 0x1000 0x0", t);
    return t;
}

/* root -> L2 -> L1: a 2 MiB leaf at VA_WIN, a table of odd leaves above. */
static void pt_build(Fuzz *f, int ctx)
{
    uint64_t root = pt_alloc(f), l2 = pt_alloc(f), l1 = pt_alloc(f);
    uint64_t l0 = pt_alloc(f);

    wq(f, root + ((VA_WIN >> 39) & 511) * 8, l2 | VKFD_PTE_VALID);
    wq(f, l2 + ((VA_WIN >> 30) & 511) * 8, l1 | VKFD_PTE_VALID);
    wq(f, l1 + ((VA_WIN >> 21) & 511) * 8, PA_CTX(ctx) | VKFD_PTE_VALID |
       VKFD_PTE_SYSTEM | VKFD_PTE_WRITE | VKFD_PDE_HUGE);
    wq(f, l1 + ((VA_ODD >> 21) & 511) * 8, l0 | VKFD_PTE_VALID);
    f->root[ctx] = root;
    f->odd_table[ctx] = l0;
}

/* Change one leaf of the odd table: VRAM, MMIO, RAM, stray bits... */
static void op_pte(Fuzz *f)
{
    Rng *r = &f->rng;
    int ctx = 1 + below(r, NCTX);
    uint64_t e;

    if (!f->root[ctx]) {
        pt_build(f, ctx);
    }
    switch (below(r, 6)) {
    case 0:
        e = (below(r, 64) << 12) | VKFD_PTE_VALID | VKFD_PTE_WRITE;
        break;
    case 1:
        e = (hostile_pa(f) & VKFD_PTE_ADDR_MASK) | VKFD_PTE_VALID |
            VKFD_PTE_SYSTEM | VKFD_PTE_WRITE;
        break;
    case 2:
        e = (PA_CTX(ctx) + WIN_DATA) | VKFD_PTE_VALID | VKFD_PTE_SYSTEM |
            (chance(r, 50) ? VKFD_PTE_WRITE : 0);
        break;
    case 3:
        /* a directory where a leaf should be: walks into a table */
        e = f->root[ctx] | VKFD_PTE_VALID | VKFD_PTE_SYSTEM;
        break;
    case 4:
        e = odd_u64(r);
        break;
    default:
        e = 0;
        break;
    }
    wq(f, f->odd_table[ctx] + below(r, 8) * 8, e);
    if (chance(r, 10)) {
        /* tear at the tree itself */
        wq(f, f->root[ctx] + below(r, 512) * 8, odd_u64(r));
    }
}

/* ---- the scheduler ring --------------------------------------------- */

static void sched_enable(Fuzz *f, uint32_t size)
{
    f->sched_size = size;
    f->sched_wptr = 0;
    wl(f, reg(f, VKFD_REG_CONTROL), 0);
    wl(f, reg(f, VKFD_REG_SCHED_BASE_LO), (uint32_t)PA_SCHED);
    wl(f, reg(f, VKFD_REG_SCHED_BASE_HI), 0);
    wl(f, reg(f, VKFD_REG_SCHED_SIZE), size);
    wl(f, reg(f, VKFD_REG_CONTROL), VKFD_CONTROL_ENABLE);
}

static void sched_put(Fuzz *f, struct vkfd_sched_cmd *c)
{
    if (!f->sched_size) {
        return;
    }
    wbytes(f, PA_SCHED + f->sched_wptr, c, sizeof(*c));
    f->sched_wptr = (f->sched_wptr + sizeof(*c)) % f->sched_size;
}

static void sched_kick(Fuzz *f)
{
    wl(f, reg(f, VKFD_REG_SCHED_WPTR), f->sched_wptr);
}

/* Until the device has read everything up to wptr (or gave up). */
static void sched_wait(Fuzz *f)
{
    int i;

    for (i = 0; i < 1000 && qstate == Q_OK; i++) {
        if (cmd_read(f, "readl 0x%" PRIx64, reg(f, VKFD_REG_SCHED_RPTR)) ==
            f->sched_wptr) {
            break;
        }
    }
}

static uint32_t pick_ctx(Fuzz *f)
{
    Rng *r = &f->rng;

    if (chance(r, 90)) {
        return 1 + below(r, NCTX);
    }
    return chance(r, 50) ? 0 : odd_u32(r);
}

/*
 * Where a queue's pointers live in its window: AQL's as in ROCr's
 * amd_queue_t (write_dispatch_id at 56, read_dispatch_id at 128).
 */
static uint64_t wptr_off(int qi, uint32_t type)
{
    return WIN_PTRS + qi * 0x100ull + (type == VKFD_QUEUE_AQL ? 56 : 8);
}

static uint64_t rptr_off(int qi, uint32_t type)
{
    return WIN_PTRS + qi * 0x100ull + (type == VKFD_QUEUE_AQL ? 128 : 0);
}

static void mqd_write(Fuzz *f, int qi, const FQueue *fq, bool mutate)
{
    Rng *r = &f->rng;
    struct vkfd_mqd m = {
        .type = fq->type,
        .doorbell = fq->doorbell,
        .ring_base = VA_WIN + WIN_RINGS + qi * 0x10000ull,
        .ring_size = fq->ring_size,
        .rptr_addr = VA_WIN + rptr_off(qi, fq->type),
        .wptr_addr = VA_WIN + wptr_off(qi, fq->type),
        .rptr = fq->wptr,
    };

    if (mutate) {
        switch (below(r, 9)) {
        case 0:
            m.ring_base = gpu_va(f, 0);
            break;
        case 1:
            m.ring_size = odd_u32(r);
            break;
        case 2:
            m.rptr_addr = gpu_va(f, 8);
            break;
        case 3:
            m.wptr_addr = gpu_va(f, 8);
            break;
        case 4:
            m.rptr = odd_u64(r);
            break;
        case 5:
            m.error = below(r, 8);
            m.error_info = odd_u32(r);
            m.error_va = odd_u64(r);
            break;
        case 6:
            m.type = odd_u32(r);
            break;
        case 7:
            m.flags = odd_u32(r);
            m.reserved[below(r, 3)] = odd_u64(r);
            break;
        default:
            m.doorbell = odd_u32(r);
            break;
        }
    }
    wbytes(f, PA_MQD + qi * 0x80ull, &m, sizeof(m));
}

/* UNMAP_QUEUE writes at mqd + 40..63: aim those bytes at a register. */
static uint64_t hostile_mqd(Fuzz *f)
{
    Rng *r = &f->rng;
    uint64_t target = hostile_pa(f);

    switch (below(r, 4)) {
    case 0:
        return (target - 40) & ~7ull;       /* rptr on the target */
    case 1:
        return (target - 52) & ~7ull;       /* error_info on it */
    case 2:
        return ~0ull - 0x27 - below(r, 4) * 8;   /* wraps past 2^64 */
    default:
        return target;
    }
}

static void forget_device(Fuzz *f)
{
    f->sched_size = 0;
    memset(f->ctx_live, 0, sizeof(f->ctx_live));
}

/* A well-formed MAP_CONTEXT, so that the next command finds it live. */
static void map_context(Fuzz *f, uint32_t ctx)
{
    struct vkfd_sched_cmd c = {
        .opcode = VKFD_CMD_MAP_CONTEXT, .ctx_id = ctx, .seq = ++f->seq,
        .fence_addr = PA_FENCES + below(&f->rng, 256) * 8,
    };

    if (!f->root[ctx]) {
        pt_build(f, ctx);
    }
    c.u.map_context.pt_base = f->root[ctx];
    sched_put(f, &c);
    f->ctx_live[ctx] = true;
}

/* A well-formed UNMAP_QUEUE of the queue in slot qi. */
static void unmap_queue(Fuzz *f, int qi)
{
    FQueue *fq = &f->queues[qi];
    struct vkfd_sched_cmd c = {
        .opcode = VKFD_CMD_UNMAP_QUEUE, .ctx_id = fq->ctx, .seq = ++f->seq,
        .fence_addr = PA_FENCES + below(&f->rng, 256) * 8,
    };

    c.u.unmap_queue.mqd_addr = PA_MQD + qi * 0x80ull;
    c.u.unmap_queue.doorbell = fq->doorbell;
    if (chance(&f->rng, 30)) {
        c.flags = VKFD_CMD_F_PRESERVE;
    }
    sched_put(f, &c);
    fq->used = false;
}

static void op_sched(Fuzz *f)
{
    Rng *r = &f->rng;
    unsigned n = 1 + below(r, 4), i;
    int qi;
    FQueue *fq;

    if (!f->sched_size || chance(r, 8)) {
        /* a reset or a stray write may have stopped it: start it again */
        sched_enable(f, 0x1000u << below(r, 5));
    }

    for (i = 0; i < n; i++) {
        struct vkfd_sched_cmd c = { 0 };
        unsigned k = below(r, 100);

        c.opcode = k < 10 ? VKFD_CMD_NOP : k < 22 ? VKFD_CMD_MAP_CONTEXT :
                   k < 26 ? VKFD_CMD_UNMAP_CONTEXT :
                   k < 48 ? VKFD_CMD_MAP_QUEUE :
                   k < 62 ? VKFD_CMD_UNMAP_QUEUE :
                   k < 68 ? VKFD_CMD_INVALIDATE_TLB :
                   k < 80 ? VKFD_CMD_VM_FILL :
                   k < 92 ? VKFD_CMD_VM_COPY : below(r, 256);
        c.flags = chance(r, 30) ? VKFD_CMD_F_IRQ :
                  chance(r, 3) ? odd_u32(r) : 0;
        c.ctx_id = pick_ctx(f);
        c.seq = chance(r, 30) ? odd_u32(r) : ++f->seq;
        c.fence_addr = fence_addr(f);
        if (chance(r, 2)) {
            c.reserved0 = 1;
        }
        if (c.opcode != VKFD_CMD_MAP_CONTEXT && c.ctx_id >= 1 &&
            c.ctx_id <= NCTX && !f->ctx_live[c.ctx_id] && chance(r, 80)) {
            map_context(f, c.ctx_id);
        }
        switch (c.opcode) {
        case VKFD_CMD_MAP_CONTEXT:
            if (c.ctx_id >= 1 && c.ctx_id <= NCTX) {
                if (!f->root[c.ctx_id] || chance(r, 10)) {
                    pt_build(f, c.ctx_id);
                }
                c.u.map_context.pt_base = f->root[c.ctx_id];
            }
            if (chance(r, 8)) {
                c.u.map_context.pt_base = chance(r, 50) ? 0 : hostile_pa(f);
            }
            if (c.ctx_id >= 1 && c.ctx_id <= NCTX) {
                f->ctx_live[c.ctx_id] = true;
            }
            break;
        case VKFD_CMD_UNMAP_CONTEXT:
            if (c.ctx_id >= 1 && c.ctx_id <= NCTX) {
                f->ctx_live[c.ctx_id] = false;
            }
            break;
        case VKFD_CMD_MAP_QUEUE:
            qi = below(r, NQUEUES);
            fq = &f->queues[qi];
            if (fq->used && chance(r, 80)) {
                /* the slot is taken: unmap its queue first */
                unmap_queue(f, qi);
            }
            fq->ctx = c.ctx_id >= 1 && c.ctx_id <= NCTX ? c.ctx_id : 1;
            fq->type = below(r, 3);
            fq->doorbell = chance(r, 90) ? (uint32_t)qi : below(r, 8);
            fq->ring_size = 256u << below(r, 9);    /* 256 B .. 64 KiB */
            fq->wptr = chance(r, 80) ? 0 : below(r, 64) * 16;
            fq->used = true;
            if (fq->type == VKFD_QUEUE_PM4) {
                /* the PM4 rptr counts dwords */
                fq->wptr &= ~3ull;
            }
            mqd_write(f, qi, fq, chance(r, 8));
            c.u.map_queue.mqd_addr = chance(r, 92) ? PA_MQD + qi * 0x80ull :
                                     hostile_mqd(f);
            c.u.map_queue.queue_id = qi;
            if (chance(r, 70)) {
                c.fence_addr = PA_FENCES + below(r, 256) * 8;
            }
            /* what the device will refuse for sure */
            fq->used = c.ctx_id >= 1 && c.ctx_id <= NCTX &&
                       c.fence_addr % 8 == 0;
            /* its pointers start where the MQD says */
            wq(f, win_pa(fq->ctx, wptr_off(qi, fq->type)), fq->wptr);
            break;
        case VKFD_CMD_UNMAP_QUEUE:
            qi = below(r, NQUEUES);
            fq = &f->queues[qi];
            c.u.unmap_queue.doorbell = fq->used && chance(r, 90) ?
                                       fq->doorbell : below(r, 1024);
            if (fq->used) {
                c.ctx_id = fq->ctx;
            }
            c.u.unmap_queue.mqd_addr = chance(r, 70) ?
                                       PA_MQD + qi * 0x80ull :
                                       hostile_mqd(f);
            /* preempted: a later MAP_QUEUE of this MQD may resume it */
            if (chance(r, 40)) {
                c.flags |= VKFD_CMD_F_PRESERVE;
            }
            break;
        case VKFD_CMD_VM_FILL:
            c.u.vm_fill.size = xfer_len(r, VKFD_VM_OP_MAX);
            c.u.vm_fill.va = gpu_va(f, c.u.vm_fill.size);
            c.u.vm_fill.value = odd_u32(r);
            break;
        case VKFD_CMD_VM_COPY:
            c.u.vm_copy.size = xfer_len(r, VKFD_VM_OP_MAX);
            c.u.vm_copy.src = gpu_va(f, c.u.vm_copy.size);
            c.u.vm_copy.dst = gpu_va(f, c.u.vm_copy.size);
            break;
        case VKFD_CMD_NOP:
        case VKFD_CMD_INVALIDATE_TLB:
            break;
        default:
            c.u.raw[below(r, 5)] = odd_u64(r);
            break;
        }
        if (chance(r, 3)) {
            c.u.raw[below(r, 5)] ^= 1ull << below(r, 64);
        }
        sched_put(f, &c);
    }
    if (chance(r, 95)) {
        sched_kick(f);
    }
}

/* ---- queue packets ----------------------------------------------- */

/* A header with a raw count field (payload dwords - 1), any value */
#define PM4_HDR(op, count)  VKFD_PM4_HDR(op, ((count) & 0x3fff) + 1)

/* Fill buf with up to max dwords of PM4 packets; returns the dwords. */
static unsigned pm4_packets(Fuzz *f, int ctx, uint32_t *buf, unsigned max,
                            int depth);

static unsigned pm4_ib(Fuzz *f, int ctx, uint32_t *p, int depth)
{
    Rng *r = &f->rng;
    uint32_t ib[256];
    unsigned slot = below(r, 16), n;
    uint64_t va = VA_WIN + WIN_IBS + slot * 0x4000ull;

    n = pm4_packets(f, ctx, ib, 1 + below(r, 48), depth + 1);
    wbytes(f, win_pa(ctx, WIN_IBS + slot * 0x4000ull), ib, n * 4);
    if (chance(r, 10)) {
        va = gpu_va(f, n * 4);
    }
    p[0] = PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 2);
    p[1] = (uint32_t)va;
    p[2] = va >> 32;
    p[3] = chance(r, 90) ? n : odd_u32(r);
    return 4;
}

static unsigned pm4_packets(Fuzz *f, int ctx, uint32_t *p, unsigned max,
                            int depth)
{
    Rng *r = &f->rng;
    unsigned n = 0, i, len, k;
    uint64_t a;

    while (n + 8 <= max) {
        uint32_t *q = p + n;

        k = below(r, depth > 2 ? 8 : 9);
        k = chance(r, 4) ? 8 : k == 8 ? 9 : k;
        switch (k) {
        case 0:
            len = below(r, 4);
            q[0] = chance(r, 20) ? 0xffff1000 : PM4_HDR(VKFD_PM4_OP_NOP, len);
            len = q[0] == 0xffff1000 ? 1 : len + 2;
            for (i = 1; i < len; i++) {
                q[i] = (uint32_t)rnd(r);
            }
            break;
        case 1: case 2:
            len = 1 + below(r, 3);
            a = gpu_va(f, len * 4);
            q[0] = PM4_HDR(VKFD_PM4_OP_WRITE_DATA, len + 2);
            q[1] = (chance(r, 90) ? VKFD_PM4_WD_MEM : odd_u32(r)) |
                   (chance(r, 20) ? VKFD_PM4_WD_ONE_ADDR : 0);
            q[2] = (uint32_t)a;
            q[3] = a >> 32;
            for (i = 0; i < len; i++) {
                q[4 + i] = odd_u32(r);
            }
            len += 4;
            break;
        case 3: case 4:
            a = gpu_va(f, 8);
            q[0] = PM4_HDR(VKFD_PM4_OP_RELEASE_MEM, 6);
            q[1] = (uint32_t)rnd(r) & 0x3f;
            q[2] = VKFD_PM4_RM_DATA(below(r, 6)) |
                   (uint32_t)below(r, 3) << VKFD_PM4_RM_INT_SHIFT |
                   (uint32_t)below(r, 2) << VKFD_PM4_RM_DST_SHIFT;
            if (chance(r, 5)) {
                q[2] = odd_u32(r);
            }
            q[3] = (uint32_t)a & ~7u;
            q[4] = a >> 32;
            q[5] = odd_u32(r);
            q[6] = odd_u32(r);
            q[7] = odd_u32(r);
            len = 8;
            break;
        case 5:
            a = chance(r, 70) ? VA_WIN + WIN_DATA : gpu_va(f, 4);
            q[0] = PM4_HDR(VKFD_PM4_OP_WAIT_REG_MEM, 5);
            q[1] = (chance(r, 90) ? 1u << 4 : 0) | below(r, 8) |
                   (chance(r, 10) ? 2u << 6 : 0);
            q[2] = (uint32_t)a;
            q[3] = a >> 32;
            q[4] = odd_u32(r);
            q[5] = odd_u32(r);
            q[6] = 4;
            len = 7;
            break;
        case 6:
            q[0] = PM4_HDR(VKFD_PM4_OP_ACQUIRE_MEM, 5);
            for (i = 1; i < 7; i++) {
                q[i] = (uint32_t)rnd(r);
            }
            len = 7;
            break;
        case 7:
            q[0] = chance(r, 90) ? 0x80000000u : odd_u32(r);
            len = 1;
            break;
        case 8:
            q[0] = PM4_HDR(below(r, 256), below(r, 6));
            len = 1 + below(r, 6);
            for (i = 1; i < len; i++) {
                q[i] = odd_u32(r);
            }
            break;
        default:
            len = pm4_ib(f, ctx, q, depth);
            break;
        }
        n += len;
        if (chance(r, 40)) {
            break;
        }
    }
    return n;
}

static unsigned sdma_packets(Fuzz *f, uint32_t *p, unsigned max)
{
    Rng *r = &f->rng;
    unsigned n = 0, i, len;
    uint64_t a, b, sz;

    while (n + 8 <= max) {
        uint32_t *q = p + n;

        switch (chance(r, 4) ? 7 : below(r, 7)) {
        case 0:
            len = below(r, 3);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_NOP, 0) |
                   VKFD_SDMA_NOP_COUNT(len);
            len++;
            for (i = 1; i < len; i++) {
                q[i] = (uint32_t)rnd(r);
            }
            break;
        case 1:
            sz = xfer_len(r, VKFD_SDMA_COPY_MAX);
            a = gpu_va(f, sz);
            b = gpu_va(f, sz);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_COPY, 0) |
                   (chance(r, 3) ? 1u << 27 : 0);
            q[1] = (uint32_t)(sz - 1) & 0x3fffff;
            q[2] = 0;
            q[3] = (uint32_t)a;
            q[4] = a >> 32;
            q[5] = (uint32_t)b;
            q[6] = b >> 32;
            len = 7;
            break;
        case 2:
            len = 1 + below(r, 3);
            a = gpu_va(f, len * 4);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_WRITE, 0);
            q[1] = (uint32_t)a;
            q[2] = a >> 32;
            q[3] = len - 1;
            for (i = 0; i < len; i++) {
                q[4 + i] = odd_u32(r);
            }
            len += 4;
            break;
        case 3:
            a = gpu_va(f, 4);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_FENCE, 0);
            q[1] = (uint32_t)a;
            q[2] = a >> 32;
            q[3] = odd_u32(r);
            len = 4;
            break;
        case 4:
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0);
            q[1] = odd_u32(r);
            len = 2;
            break;
        case 5:
            a = chance(r, 70) ? VA_WIN + WIN_DATA : gpu_va(f, 4);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_POLL_REGMEM, 0) |
                   (chance(r, 85) ? VKFD_SDMA_POLL_MEM :
                    VKFD_SDMA_POLL_HDP_FLUSH) |
                   VKFD_SDMA_POLL_FUNC(below(r, 8));
            q[1] = (uint32_t)a;
            q[2] = a >> 32;
            q[3] = odd_u32(r);
            q[4] = odd_u32(r);
            q[5] = (uint32_t)rnd(r);
            len = 6;
            break;
        case 6:
            sz = xfer_len(r, VKFD_SDMA_FILL_MAX);
            a = gpu_va(f, sz);
            q[0] = VKFD_SDMA_HEADER(VKFD_SDMA_OP_CONST_FILL, 0) |
                   (uint32_t)below(r, 4) << 30;
            q[1] = (uint32_t)a;
            q[2] = a >> 32;
            q[3] = odd_u32(r);
            q[4] = (uint32_t)(sz - 1) & 0x3fffff;
            len = 5;
            break;
        default:
            len = 1 + below(r, 7);
            for (i = 0; i < len; i++) {
                q[i] = odd_u32(r);
            }
            q[0] = (q[0] & ~0xffffu) | below(r, 16) | below(r, 3) << 8;
            break;
        }
        n += len;
        if (chance(r, 40)) {
            break;
        }
    }
    return n;
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}

/* A signal, kernel descriptor and kernarg for an AQL packet to use. */
static uint64_t aql_signal(Fuzz *f, int ctx)
{
    Rng *r = &f->rng;
    unsigned slot = below(r, 16);
    uint8_t s[64] = { 0 };

    put64(s + VKFD_SIGNAL_VALUE, chance(r, 50) ? 1 : odd_u64(r));
    put64(s + VKFD_SIGNAL_MAILBOX, chance(r, 50) ? 0 :
          chance(r, 70) ? VA_WIN + WIN_DATA + slot * 8 : gpu_va(f, 8));
    put32(s + VKFD_SIGNAL_EVENT_ID, odd_u32(r));
    wbytes(f, win_pa(ctx, WIN_SIGNALS + slot * 64ull), s, sizeof(s));
    return chance(r, 90) ? VA_WIN + WIN_SIGNALS + slot * 64ull :
                           gpu_va(f, 64);
}

static void aql_packet(Fuzz *f, int ctx, uint8_t *p)
{
    Rng *r = &f->rng;
    uint32_t ib[256], n;
    uint64_t a, kd, ka;
    struct vkfd_kernel_desc d = { .magic = VKFD_KERNEL_MAGIC };
    uint8_t args[32] = { 0 };
    unsigned i, type;

    memset(p, 0, 64);
    switch (below(r, 8)) {
    case 0: case 1: case 2:
        type = VKFD_AQL_TYPE_KERNEL;
        d.id = 1 + below(r, 3);
        if (chance(r, 5)) {
            d.magic ^= 1ull << below(r, 64);
        }
        if (chance(r, 5)) {
            d.id = odd_u32(r);
        }
        kd = below(r, 4);
        wbytes(f, win_pa(ctx, WIN_KDESC + kd * 64), &d, sizeof(d));
        put64(args, gpu_va(f, 4096));
        put64(args + 8, chance(r, 50) ? odd_u32(r) | 0ull : gpu_va(f, 4096));
        put64(args + 16, d.id == VKFD_KERNEL_COPY ? xfer_len(r, 1 << 20) :
                         gpu_va(f, 4096));
        put32(args + 24, below(r, 2048));
        if (d.id == VKFD_KERNEL_FILL) {
            put32(args + 8, odd_u32(r));
            put32(args + 12, below(r, 4096));
        }
        ka = below(r, 16);
        wbytes(f, win_pa(ctx, WIN_KARGS + ka * 64), args, sizeof(args));
        put16(p + 2, chance(r, 95) ? 1 + below(r, 3) : below(r, 4));
        put32(p + 12, chance(r, 90) ? 1 + below(r, 2048) : odd_u32(r));
        put32(p + 16, chance(r, 90) ? 1 : odd_u32(r));
        put32(p + 20, chance(r, 90) ? 1 : below(r, 3));
        put64(p + 32, chance(r, 95) ? VA_WIN + WIN_KDESC + kd * 64 :
                                      gpu_va(f, 64));
        put64(p + 40, chance(r, 95) ? VA_WIN + WIN_KARGS + ka * 64 :
                                      gpu_va(f, 32));
        break;
    case 3:
        type = chance(r, 50) ? VKFD_AQL_TYPE_BARRIER_AND :
                               VKFD_AQL_TYPE_BARRIER_OR;
        for (i = 0; i < 5; i++) {
            if (chance(r, 40)) {
                put64(p + 8 + 8 * i, aql_signal(f, ctx));
            }
        }
        break;
    case 4:
        type = VKFD_AQL_TYPE_VENDOR;
        p[2] = VKFD_AQL_AMD_PM4_IB;
        n = pm4_packets(f, ctx, ib, 1 + below(r, 32), 1);
        a = VA_WIN + WIN_IBS + below(r, 16) * 0x4000ull;
        wbytes(f, win_pa(ctx, a - VA_WIN), ib, n * 4);
        put32(p + 4, PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 2));
        put32(p + 8, (uint32_t)a);
        put32(p + 12, a >> 32);
        put32(p + 16, chance(r, 90) ? n : odd_u32(r));
        break;
    case 5:
        type = VKFD_AQL_TYPE_VENDOR;
        p[2] = chance(r, 90) ? VKFD_AQL_AMD_BARRIER_VALUE : below(r, 256);
        put64(p + 8, aql_signal(f, ctx));
        put64(p + 16, odd_u64(r));
        put64(p + 24, odd_u64(r));
        put32(p + 32, below(r, 5));
        break;
    default:
        type = below(r, 8);
        for (i = 2; i < 56; i += 8) {
            put64(p + i, odd_u64(r));
        }
        break;
    }
    if (chance(r, 50)) {
        put64(p + 56, aql_signal(f, ctx));
    }
    put16(p, type | (chance(r, 50) ? VKFD_AQL_HEADER_BARRIER : 0));
}

/* Write packets into a queue, publish the wptr, ring its doorbell. */
static void op_packets(Fuzz *f)
{
    Rng *r = &f->rng;
    int qi = below(r, NQUEUES), tries;
    FQueue *fq = &f->queues[qi];
    uint32_t buf[512];
    uint8_t pkt[64];
    uint64_t ring = WIN_RINGS + qi * 0x10000ull, bytes, pos, woff;
    unsigned n, i, chunk;

    for (tries = 0; !fq->used && tries < 8; tries++) {
        qi = below(r, NQUEUES);
        fq = &f->queues[qi];
    }
    if (!fq->used) {
        return;
    }
    if (fq->type == VKFD_QUEUE_AQL) {
        n = 1 + below(r, 3);
        for (i = 0; i < n; i++) {
            aql_packet(f, fq->ctx, pkt);
            pos = (fq->wptr * 64) % fq->ring_size;
            wbytes(f, win_pa(fq->ctx, ring + pos), pkt, 64);
            fq->wptr++;
        }
        woff = wptr_off(qi, fq->type);
    } else {
        n = fq->type == VKFD_QUEUE_PM4 ?
            pm4_packets(f, fq->ctx, buf, 64, 0) : sdma_packets(f, buf, 64);
        bytes = n * 4ull;
        pos = (fq->type == VKFD_QUEUE_PM4 ? fq->wptr * 4 : fq->wptr) %
              fq->ring_size;
        /* the packets may wrap around the end of the ring */
        for (i = 0; i < bytes; i += chunk) {
            chunk = fq->ring_size - pos;
            if (chunk > bytes - i) {
                chunk = bytes - i;
            }
            wbytes(f, win_pa(fq->ctx, ring + pos), (uint8_t *)buf + i, chunk);
            pos = (pos + chunk) % fq->ring_size;
        }
        fq->wptr += fq->type == VKFD_QUEUE_PM4 ? n : bytes;
        woff = wptr_off(qi, fq->type);
    }
    if (chance(r, 3)) {
        fq->wptr = odd_u64(r);
    }
    wq(f, win_pa(fq->ctx, woff), fq->wptr);
    if (chance(r, 95)) {
        cmd(f, "writeq 0x%" PRIx64 " 0x%" PRIx64,
            f->bar[VKFD_BAR_DOORBELL] + fq->ctx * 0x2000ull + fq->doorbell * 8,
            fq->wptr);
    }
}

/* ---- shader core kernels ------------------------------------------- */

/*
 * Kernels for the shader core (hw/kfd/vkfd-sh*.c, docs/shader-core.md):
 * a code-object-v3 kernel descriptor and GFX9 (gfx90a) machine code in a
 * context's window, dispatched through an AQL queue (KERNEL_DISPATCH) or
 * a PM4 queue (SET_SH_REG of the COMPUTE_* registers, DISPATCH_DIRECT),
 * with everything the guest controls made hostile: the descriptor's
 * register counts, LDS, scratch and user SGPRs, the launch's sizes, ROCr's
 * amd_queue_t scratch fields, and the code.  The code is raw random dwords
 * now and then, but mostly real instructions: an opcode the device's
 * tables hold (the lists below) in the family's own field layout, with
 * register numbers near the allocation's limits, special registers,
 * inline constants and literals, DPP and SDWA words, huge or negative
 * offsets; plus small structures random code seldom builds: bounded and
 * endless loops, barriers some waves skip, s_setpc to anywhere, code that
 * rewrites itself.
 *
 * Each 4 KiB slot of WIN_SHADER holds a descriptor (at +0), its code (at
 * +SH_CODE_OFF, the entry) and its kernargs (at +SH_KARGS_OFF).
 */
#define WIN_SHADER      0x121000    /* in WIN_KDESC's 64 KiB, after its KDs */
#define SH_SLOTS        15
#define SH_CODE_OFF     0x100
#define SH_KARGS_OFF    0xf80
#define SH_CODE_MAX     ((SH_KARGS_OFF - SH_CODE_OFF) / 4)

/* amd_queue_t, from the queue's pointers block (wptr_off - 56) */
#define AMDQ_TMPRING    140         /* up to the inactive signal: 60 bytes */
#define AMDQ_FIELDS_END 200

/*
 * Opcodes the shader core's tables hold (hw/kfd/vkfd-sh-*.c), per family;
 * an opcode outside them is drawn now and then too.  A table that gains an
 * opcode is still fuzzed through those draws.
 */
static const uint8_t sh_sop2[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x22, 0x23, 0x24,
    0x25, 0x26, 0x27, 0x2a, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
    0x34,
};
static const uint8_t sh_sop1[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x30, 0x33, 0x34, 0x35,
    0x36, 0x37,
};
static const uint8_t sh_sopc[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x12, 0x13,
};
static const uint8_t sh_sopk[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x11, 0x12, 0x15,
};
static const uint8_t sh_sopp[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a,
};
static const uint8_t sh_smem[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x10, 0x11,
    0x12, 0x18, 0x19, 0x1a, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x28, 0x29,
};
static const uint8_t sh_ds[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x15, 0x1e, 0x1f, 0x20,
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c,
    0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x35, 0x36, 0x37, 0x38, 0x39,
    0x3a, 0x3b, 0x3c, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
    0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52,
    0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x60, 0x61,
    0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
    0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x76, 0x77, 0x78, 0x7c, 0xde, 0xdf,
    0xfe, 0xff,
};
static const uint8_t sh_flat[] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x40, 0x41,
    0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d,
    0x4e, 0x4f, 0x50, 0x51, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
    0x68, 0x69, 0x6a, 0x6b, 0x6c,
};
static const uint8_t sh_scratch[] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
};
static const uint8_t sh_mubuf[] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29,
    0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x60, 0x61, 0x62, 0x63,
    0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
};
static const uint8_t sh_vop1[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0a, 0x0b, 0x0c,
    0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
    0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
    0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4f, 0x51,
    0x52,
};
static const uint8_t sh_vop2[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
    0x3d,
};
static const uint8_t sh_vopc[] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
    0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
    0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61,
    0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
    0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
    0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1,
    0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd,
    0xbe, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
    0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5,
    0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,
    0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
    0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};
static const uint16_t sh_vop3[] = {
    0x1c0, 0x1c1, 0x1c2, 0x1c3, 0x1c8, 0x1c9, 0x1ca, 0x1cb, 0x1cc, 0x1ce,
    0x1cf, 0x1d0, 0x1d1, 0x1d2, 0x1d3, 0x1d4, 0x1d5, 0x1d6, 0x1d7, 0x1d8,
    0x1d9, 0x1da, 0x1db, 0x1dc, 0x1de, 0x1df, 0x1e0, 0x1e1, 0x1e2, 0x1e3,
    0x1e8, 0x1e9, 0x1eb, 0x1ec, 0x1ed, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5,
    0x1f6, 0x1f7, 0x1f8, 0x1f9, 0x1fa, 0x1fb, 0x1fc, 0x1fd, 0x1fe, 0x1ff,
    0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, 0x280, 0x281,
    0x282, 0x283, 0x284, 0x285, 0x286, 0x287, 0x288, 0x289, 0x28a, 0x28b,
    0x28c, 0x28d, 0x28f, 0x290, 0x291, 0x292, 0x293, 0x294, 0x295, 0x296,
    0x297, 0x298, 0x29c, 0x29d, 0x29e, 0x29f, 0x2a0, 0x2a1,
};
static const uint8_t sh_vop3p[] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x20, 0x21, 0x22, 0x23, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x58, 0x59,
};

#define SH_PICK(r, t)   ((t)[below(r, ARRAY_SIZE(t))])

/* GFX9 operand encodings (9-bit sources; SGPR fields use the low 7/8) */
#define SRC_VCC_LO      106
#define SRC_M0          124
#define SRC_EXEC_LO     126
#define SRC_ZERO        128
#define SRC_SDWA        249
#define SRC_DPP         250
#define SRC_LITERAL     255
#define SRC_VGPR        256

typedef struct ShGen {
    Fuzz *f;
    Rng *r;
    uint32_t *code;
    unsigned n, max;
    unsigned nsgprs, nvgprs, accum;     /* the descriptor's allocation */
    unsigned karg_sgpr;                 /* where the kernarg pointer is */
    bool lit;                           /* a literal follows the insn */
    uint32_t slot_va;                   /* low half of the slot's VA */
} ShGen;

static void sh_emit(ShGen *g, uint32_t dw)
{
    if (g->n < g->max) {
        g->code[g->n++] = dw;
    }
}

/* An SGPR for a 7-bit field: the low ones, the limit, specials, any. */
static unsigned sh_sreg(ShGen *g)
{
    static const uint8_t special[] = {
        102, 103, 104, 105, 106, 107, 108, 123, 124, 125, 126, 127,
    };
    unsigned k = below(g->r, 100);

    if (k < 84) {
        /* aligned for tuples mostly (pairs even, larger ones to 4) */
        return below(g->r, g->nsgprs < 24 ? g->nsgprs : 24) &
               (chance(g->r, 70) ? ~3u : ~0u);
    }
    if (k < 88) {
        return (g->nsgprs + below(g->r, 6) - 3) & 0x7f;
    }
    if (k < 96) {
        return SH_PICK(g->r, special);
    }
    return below(g->r, 128);
}

/* An even SGPR for a pair (64-bit operand, base address). */
static unsigned sh_spair(ShGen *g)
{
    unsigned k = below(g->r, 100);

    if (k < 40) {
        return 8 + 2 * below(g->r, 4);      /* the prologue's addresses */
    }
    if (k < 50) {
        return g->karg_sgpr;
    }
    return sh_sreg(g) & ~1u;
}

/* A scalar source (8 bits): SGPR, inline constant, literal, anything. */
static unsigned sh_ssrc(ShGen *g)
{
    unsigned k = below(g->r, 100);

    if (k < 50) {
        return sh_sreg(g);
    }
    if (k < 72) {
        return 128 + below(g->r, 81);       /* integers 0..64, -1..-16 */
    }
    if (k < 78) {
        return 240 + below(g->r, 9);        /* 0.5, -0.5, 1.0 ... 1/(2pi) */
    }
    if (k < 82) {
        return 251 + below(g->r, 3);        /* VCCZ, EXECZ, SCC */
    }
    if (k < 92) {
        g->lit = true;
        return SRC_LITERAL;
    }
    return below(g->r, 256);
}

/* A VGPR for an 8-bit field: the low ones, the limit, AGPR edges, any. */
static unsigned sh_vreg(ShGen *g)
{
    unsigned k = below(g->r, 100);

    if (k < 93) {
        return below(g->r, g->nvgprs < 12 ? g->nvgprs : 12) &
               (chance(g->r, 70) ? ~3u : ~0u);
    }
    if (k < 96) {
        return (g->nvgprs + below(g->r, 6) - 3) & 0xff;
    }
    if (k < 98) {
        return (g->accum + below(g->r, 4) - 2) & 0xff;
    }
    return below(g->r, 256);
}

/* A 9-bit VALU source: VGPR or scalar; no literal where none fits. */
static unsigned sh_vsrc(ShGen *g, bool literal_ok)
{
    unsigned s;

    if (chance(g->r, 55)) {
        return SRC_VGPR + sh_vreg(g);
    }
    s = sh_ssrc(g);
    if (s == SRC_LITERAL && !literal_ok) {
        g->lit = false;
        return chance(g->r, 90) ? SRC_ZERO : SRC_LITERAL;
    }
    return s;
}

/* A literal's value: small, an edge, an address, anything. */
static uint32_t sh_value(ShGen *g)
{
    static const uint32_t edge[] = {
        0, 1, 2, 3, 4, 31, 32, 63, 64, 0x7fffffff, 0x80000000, 0xffffffff,
        0xfffffffe, 0xffff, 0x10000, 0x3f800000, 0x7f800000, 0x7fc00000,
    };
    unsigned k = below(g->r, 100);

    if (k < 30) {
        return below(g->r, 256);
    }
    if (k < 60) {
        return SH_PICK(g->r, edge);
    }
    if (k < 75) {
        return (uint32_t)(VA_WIN + WIN_DATA) + (below(g->r, 0x10000) & ~3u);
    }
    return odd_u32(g->r);
}

static void sh_literal(ShGen *g)
{
    if (g->lit) {
        sh_emit(g, sh_value(g));
        g->lit = false;
    }
}

/* A branch distance in dwords: near, to itself, far, anything. */
static uint16_t sh_simm_branch(ShGen *g)
{
    unsigned k = below(g->r, 100);

    if (k < 70) {
        return (uint16_t)(below(g->r, 17) - 8);
    }
    if (k < 78) {
        return 0xffff;                      /* to itself */
    }
    if (k < 88) {
        return (uint16_t)(below(g->r, 2) ? 0x7fff : 0x8000);
    }
    return (uint16_t)rnd(g->r);
}

/* The second dword of an SDWA source (src0 = 249). */
static uint32_t sh_sdwa(ShGen *g)
{
    if (chance(g->r, 15)) {
        return odd_u32(g->r);
    }
    return sh_vreg(g) | below(g->r, 7) << 8 | below(g->r, 3) << 11 |
           (chance(g->r, 10) ? 1u << 13 : 0) | below(g->r, 4) << 14 |
           below(g->r, 7) << 16 | (uint32_t)below(g->r, 8) << 19 |
           (chance(g->r, 10) ? 1u << 23 : 0) | below(g->r, 7) << 24 |
           (uint32_t)below(g->r, 8) << 27 |
           (chance(g->r, 10) ? 1u << 31 : 0);
}

/* The second dword of a DPP source (src0 = 250). */
static uint32_t sh_dpp(ShGen *g)
{
    static const uint16_t ctrl[] = {
        0x101, 0x10f, 0x111, 0x11f, 0x121, 0x12f, 0x130, 0x134, 0x138,
        0x13c, 0x140, 0x141, 0x142, 0x143, 0x100, 0x110, 0x120, 0x150,
    };
    uint32_t c = chance(g->r, 40) ? below(g->r, 256) :
                 chance(g->r, 85) ? SH_PICK(g->r, ctrl) : below(g->r, 512);

    if (chance(g->r, 10)) {
        return odd_u32(g->r);
    }
    return sh_vreg(g) | c << 8 | (chance(g->r, 30) ? 1u << 19 : 0) |
           below(g->r, 16) << 20 |
           (chance(g->r, 70) ? 0xffu << 24 : (uint32_t)below(g->r, 256) << 24);
}

/* One VOP1/VOP2/VOPC word and whatever its src0 asks to follow. */
static void sh_vop32(ShGen *g, uint32_t dw, unsigned src0)
{
    sh_emit(g, dw | src0);
    if (src0 == SRC_SDWA) {
        sh_emit(g, sh_sdwa(g));
    } else if (src0 == SRC_DPP) {
        sh_emit(g, sh_dpp(g));
    } else if (src0 == SRC_LITERAL) {
        g->lit = true;
    }
    sh_literal(g);
}

static unsigned sh_vop_src0(ShGen *g)
{
    unsigned k = below(g->r, 100);

    if (k < 10) {
        return SRC_SDWA;
    }
    if (k < 20) {
        return SRC_DPP;
    }
    return sh_vsrc(g, true);
}

static uint32_t sh_op(ShGen *g, const uint8_t *t, unsigned n, unsigned bits)
{
    return chance(g->r, 96) ? t[below(g->r, n)] : below(g->r, 1u << bits);
}

#define SH_OP(g, t, bits)   sh_op(g, t, ARRAY_SIZE(t), bits)

/* One instruction of a random family, fields drawn as above. */
static void sh_insn(ShGen *g)
{
    Rng *r = g->r;
    uint32_t op, d0, d1;
    unsigned k = below(r, 100), seg;

    g->lit = false;
    if (k < 9) {            /* SOP2 */
        op = SH_OP(g, sh_sop2, 7);
        d0 = 2u << 30 | op << 23 | sh_sreg(g) << 16;
        d0 |= sh_ssrc(g) << 8;
        d0 |= sh_ssrc(g);
        sh_emit(g, d0);
        sh_literal(g);
    } else if (k < 15) {    /* SOP1 */
        op = SH_OP(g, sh_sop1, 8);
        sh_emit(g, 0x17du << 23 | sh_sreg(g) << 16 | op << 8 | sh_ssrc(g));
        sh_literal(g);
    } else if (k < 19) {    /* SOPC */
        op = SH_OP(g, sh_sopc, 7);
        d0 = 0x17eu << 23 | op << 16 | sh_ssrc(g) << 8;
        sh_emit(g, d0 | sh_ssrc(g));
        sh_literal(g);
    } else if (k < 23) {    /* SOPK */
        op = SH_OP(g, sh_sopk, 5);
        sh_emit(g, 0xbu << 28 | op << 23 | sh_sreg(g) << 16 |
                (chance(r, 50) ? sh_simm_branch(g) : (uint16_t)rnd(r)));
        if (op == 0x14) {   /* s_setreg_imm32_b32: a literal follows */
            sh_emit(g, sh_value(g));
        }
    } else if (k < 30) {    /* SOPP */
        op = SH_OP(g, sh_sopp, 7);
        sh_emit(g, 0x17fu << 23 | op << 16 |
                (op >= 2 && op <= 9 ? sh_simm_branch(g) :
                 chance(r, 60) ? below(r, 16) : (uint16_t)rnd(r)));
    } else if (k < 36) {    /* SMEM */
        op = SH_OP(g, sh_smem, 8);
        d0 = 0x30u << 26 | op << 18 | sh_sreg(g) << 6 | sh_spair(g) >> 1 |
             (chance(r, 85) ? 1u << 17 : 0) | (chance(r, 10) ? 1u << 14 : 0) |
             (chance(r, 10) ? 1u << 16 : 0);
        d1 = chance(r, 70) ? below(r, 64) * 4 :
             chance(r, 50) ? 0x1ffffc - below(r, 16) * 4 : odd_u32(r);
        if (d0 >> 14 & 1) {
            d1 = (d1 & 0x1fffff) | sh_sreg(g) << 25;
        }
        sh_emit(g, d0);
        sh_emit(g, d1);
    } else if (k < 46) {    /* VOP2 */
        op = SH_OP(g, sh_vop2, 6);
        sh_vop32(g, op << 25 | sh_vreg(g) << 17 | sh_vreg(g) << 9,
                 sh_vop_src0(g));
    } else if (k < 54) {    /* VOP1 */
        op = SH_OP(g, sh_vop1, 8);
        sh_vop32(g, 0x3fu << 25 | sh_vreg(g) << 17 | op << 9,
                 sh_vop_src0(g));
    } else if (k < 59) {    /* VOPC */
        op = SH_OP(g, sh_vopc, 8);
        sh_vop32(g, 0x3eu << 25 | op << 17 | sh_vreg(g) << 9,
                 sh_vop_src0(g));
    } else if (k < 70) {    /* VOP3 (A/B): VOP3-only, VOP2, VOP1, VOPC */
        switch (below(r, 5)) {
        case 0: case 1:
            op = chance(r, 96) ? SH_PICK(r, sh_vop3) :
                 0x1c0 + below(r, 0x240);
            break;
        case 2:
            op = 0x100 + SH_OP(g, sh_vop2, 6);
            break;
        case 3:
            op = 0x140 + SH_OP(g, sh_vop1, 6);
            break;
        default:
            op = SH_OP(g, sh_vopc, 8);
            break;
        }
        d0 = 0x34u << 26 | op << 16 | sh_vreg(g);
        if (chance(r, 40)) {
            d0 = (d0 & ~0xffu) | sh_sreg(g);    /* VOP3B sdst, VOPC dst */
        }
        if (chance(r, 8)) {
            d0 |= (uint32_t)below(r, 128) << 8; /* clamp, op_sel, abs */
        }
        d1 = sh_vsrc(g, false) | sh_vsrc(g, false) << 9 |
             sh_vsrc(g, false) << 18;
        if (chance(r, 6)) {
            d1 |= (uint32_t)below(r, 32) << 27; /* omod, neg */
        }
        sh_emit(g, d0);
        sh_emit(g, d1);
    } else if (k < 74) {    /* VOP3P */
        op = SH_OP(g, sh_vop3p, 7);
        d0 = 0x1a7u << 23 | op << 16 | sh_vreg(g) | 1u << 14;
        if (chance(r, 30)) {
            d0 |= (uint32_t)below(r, 256) << 8;
        }
        d1 = sh_vsrc(g, false) | sh_vsrc(g, false) << 9 |
             sh_vsrc(g, false) << 18 | 3u << 27;
        if (chance(r, 25)) {
            d1 ^= (uint32_t)below(r, 32) << 27;
        }
        sh_emit(g, d0);
        sh_emit(g, d1);
    } else if (k < 82) {    /* DS */
        op = SH_OP(g, sh_ds, 8);
        d0 = 0x36u << 26 | op << 17 |
             (chance(r, 60) ? below(r, 64) : (uint32_t)below(r, 65536));
        d0 |= chance(r, 3) ? 1u << 16 : 0;      /* gds */
        d0 |= chance(r, 8) ? 1u << 25 : 0;      /* acc */
        d1 = sh_vreg(g) | sh_vreg(g) << 8 | sh_vreg(g) << 16 |
             sh_vreg(g) << 24;
        if (chance(r, 50)) {
            d1 = (d1 & ~0xffu) | 3;             /* lane * 4 */
        }
        sh_emit(g, d0);
        sh_emit(g, d1);
    } else if (k < 93) {    /* FLAT, SCRATCH, GLOBAL */
        k = below(r, 100);
        seg = k < 30 ? 0 : k < 50 ? 1 : k < 98 ? 2 : 3;
        op = seg == 1 ? SH_OP(g, sh_scratch, 7) : SH_OP(g, sh_flat, 7);
        d0 = 0x37u << 26 | op << 18 | seg << 14 |
             (chance(r, 30) ? 1u << 16 : 0) | (chance(r, 5) ? 1u << 17 : 0) |
             (chance(r, 2) ? 1u << 13 : 0);
        k = below(r, 100);
        d0 |= k < 50 ? below(r, 64) * 4 :
              k < 70 ? (seg ? 0x1000 + below(r, 16) * 4 : 0xffc) :
              k < 85 ? (seg ? 0xfff - below(r, 8) : 0x1000) :
              below(r, 0x2000);
        d1 = (chance(r, 60) ? 1 : sh_vreg(g)) | sh_vreg(g) << 8 |
             (chance(r, 50) ? 0x7fu : sh_spair(g)) << 16 | sh_vreg(g) << 24 |
             (chance(r, 8) ? 1u << 23 : 0);
        sh_emit(g, d0);
        sh_emit(g, d1);
    } else {                /* MUBUF */
        op = SH_OP(g, sh_mubuf, 7);
        d0 = 0x38u << 26 | op << 18 | below(r, 4096) |
             (chance(r, 40) ? 1u << 12 : 0) | (chance(r, 30) ? 1u << 13 : 0) |
             (chance(r, 30) ? 1u << 14 : 0) | (chance(r, 2) ? 1u << 16 : 0);
        d1 = (chance(r, 50) ? 3 : sh_vreg(g)) | sh_vreg(g) << 8 |
             (chance(r, 70) ? 3u : below(r, 32)) << 16 |
             (chance(r, 50) ? SRC_ZERO : sh_ssrc(g) & 0xff) << 24 |
             (chance(r, 8) ? 1u << 23 : 0);
        g->lit = false;
        sh_emit(g, d0);
        sh_emit(g, d1);
    }
}

/* SOP and friends by hand, for the structures below */
#define SOP1(op, sdst, s0)  (0x17du << 23 | (sdst) << 16 | (op) << 8 | (s0))
#define SOP2(op, d, s0, s1) (2u << 30 | (op) << 23 | (d) << 16 | (s1) << 8 | \
                             (s0))
#define SOPC(op, s0, s1)    (0x17eu << 23 | (op) << 16 | (s1) << 8 | (s0))
#define SOPK(op, d, imm)    (0xbu << 28 | (op) << 23 | (d) << 16 | \
                             ((imm) & 0xffff))
#define SOPP(op, imm)       (0x17fu << 23 | (op) << 16 | ((imm) & 0xffff))
#define VOP1(op, d, s0)     (0x3fu << 25 | (d) << 17 | (op) << 9 | (s0))
#define VOP2(op, d, s0, v1) ((op) << 25 | (d) << 17 | (v1) << 9 | (s0))

/*
 * A structure random code seldom builds: loops, barriers some waves
 * skip, jumps anywhere, code that rewrites itself, edge values in M0 and
 * EXEC.
 */
static void sh_gadget(ShGen *g)
{
    Rng *r = g->r;
    unsigned s = 16 + 2 * below(r, 4), start, i, n;
    static const uint16_t counts[] = { 1, 2, 7, 100, 0x7fff, 0xffff };
    uint64_t target;

    switch (below(r, 9)) {
    case 0:     /* a counted loop around random code (which may break it) */
        sh_emit(g, SOPK(0x00, s, SH_PICK(r, counts)));  /* s_movk_i32 */
        start = g->n;
        n = below(r, 4);
        for (i = 0; i < n; i++) {
            sh_insn(g);
        }
        sh_emit(g, SOP2(0x01, s, s, 129));              /* s_sub_u32 s, 1 */
        sh_emit(g, SOPC(0x07, s, SRC_ZERO));            /* s_cmp_lg_u32 */
        sh_emit(g, SOPP(0x05, start - g->n - 1));       /* s_cbranch_scc1 */
        break;
    case 1:     /* a wave that never ends */
        sh_emit(g, SOPP(0x02, 0xffff));                 /* s_branch . */
        break;
    case 2:     /* a barrier that wave 0 (lane 0 is item 0) skips */
        sh_emit(g, VOP1(0x02, s, SRC_VGPR + 0));        /* readfirstlane */
        sh_emit(g, SOPC(0x06, s, SRC_ZERO));            /* s_cmp_eq_u32 */
        sh_emit(g, SOPP(0x05, 1));                      /* skip the next */
        sh_emit(g, SOPP(0x0a, 0));                      /* s_barrier */
        if (chance(r, 30)) {
            sh_emit(g, SOPP(0x0a, 0));
        }
        break;
    case 3:     /* s_setpc_b64 to anywhere */
        target = chance(r, 40) ? (VA_WIN + WIN_SHADER) +
                 below(r, SH_SLOTS * 0x1000) :
                 chance(r, 50) ? gpu_va(g->f, 0) :
                 odd_u64(r);
        sh_emit(g, SOP1(0x00, s, SRC_LITERAL));         /* s_mov_b32 */
        sh_emit(g, (uint32_t)target);
        sh_emit(g, SOP1(0x00, s + 1, SRC_LITERAL));
        sh_emit(g, target >> 32);
        sh_emit(g, SOP1(chance(r, 70) ? 0x1d : 0x1e,    /* setpc, swappc */
                        s + 2, s));
        break;
    case 4:     /* s_getpc, a distance, s_setpc: near, unaligned, behind */
        sh_emit(g, SOP1(0x1c, s, 0));                   /* s_getpc_b64 */
        sh_emit(g, SOP2(0x00, s, s, SRC_LITERAL));      /* s_add_u32 */
        sh_emit(g, chance(r, 60) ? (uint32_t)(below(r, 64) * 4 - 128) :
                   chance(r, 50) ? below(r, 64) | 1 : odd_u32(r));
        sh_emit(g, SOP2(0x04, s + 1, s + 1, SRC_ZERO)); /* s_addc_u32 */
        sh_emit(g, SOP1(0x1d, 0, s));                   /* s_setpc_b64 */
        break;
    case 5:     /* code that stores into itself, then s_icache_inv */
        sh_emit(g, SOP1(0x1c, s, 0));
        sh_emit(g, VOP1(0x01, 20, s));                  /* v_mov_b32 */
        sh_emit(g, VOP1(0x01, 21, s + 1));
        sh_emit(g, VOP1(0x01, 22, SRC_LITERAL));
        sh_emit(g, chance(r, 50) ? SOPP(0x02, 0xffff) : odd_u32(r));
        /* global_store_dword v[20:21], v22, off offset:k */
        sh_emit(g, 0x37u << 26 | 0x1cu << 18 | 2u << 14 |
                (below(r, 16) * 4));
        sh_emit(g, 20 | 22u << 8 | 0x7fu << 16);
        sh_emit(g, SOPP(0x13, 0));                      /* s_icache_inv */
        break;
    case 6:     /* M0 at an edge (LDS limit, movrels/VGPR indexing) */
        sh_emit(g, SOP1(0x00, SRC_M0, SRC_LITERAL));
        sh_emit(g, chance(r, 50) ? sh_value(g) :
                   g->nvgprs + below(r, 8) - 4);
        break;
    case 7:     /* EXEC: none, some, all */
        sh_emit(g, SOP1(0x01, SRC_EXEC_LO, chance(r, 40) ? SRC_ZERO :
                        chance(r, 50) ? 193 : SRC_LITERAL));   /* -1 */
        if ((g->code[g->n - 1] & 0xff) == SRC_LITERAL) {
            sh_emit(g, odd_u32(r));
        }
        break;
    default:    /* s_sleep, s_setprio, a wait: a wave yields */
        sh_emit(g, SOPP(chance(r, 50) ? 0x0e : 0x0f, below(r, 128)));
        break;
    }
}

/*
 * The prologue: the kernargs into s[8:15] (two addresses and a buffer
 * resource), and in v[1:2] the first address plus 4 * the work-item id
 * (v3 = v0 << 2).  Random code then finds real memory in those registers.
 */
static void sh_prologue(ShGen *g)
{
    /* s_load_dwordx8 s[8:15], s[k:k+1], 0 */
    sh_emit(g, 0x30u << 26 | 0x03u << 18 | 1u << 17 | 8u << 6 |
            g->karg_sgpr >> 1);
    sh_emit(g, 0);
    sh_emit(g, SOPP(0x0c, 0));                          /* s_waitcnt 0 */
    sh_emit(g, VOP2(0x12, 3, 130, 0));                  /* lshlrev v3, 2 */
    sh_emit(g, VOP1(0x01, 1, 8));                       /* v_mov v1, s8 */
    sh_emit(g, VOP1(0x01, 2, 9));                       /* v_mov v2, s9 */
    sh_emit(g, VOP2(0x19, 1, SRC_VGPR + 1, 3));         /* add_co v1 */
    sh_emit(g, VOP2(0x1c, 2, SRC_ZERO, 2));             /* addc_co v2 */
}

/* A program into g->code; returns its dwords. */
static unsigned sh_program(ShGen *g, bool prologue)
{
    Rng *r = g->r;
    unsigned n, i;

    g->n = 0;
    if (chance(r, 6)) {
        /* raw dwords, sometimes over the whole slot */
        n = chance(r, 80) ? 1 + below(r, 64) : g->max;
        for (i = 0; i < n; i++) {
            sh_emit(g, chance(r, 30) ? odd_u32(r) : (uint32_t)rnd(r));
        }
        return g->n;
    }
    if (prologue) {
        sh_prologue(g);
    }
    n = chance(r, 70) ? 1 + below(r, 24) : 1 + below(r, 160);
    for (i = 0; i < n && g->n + 16 < g->max; i++) {
        if (chance(r, 12)) {
            sh_gadget(g);
        } else {
            sh_insn(g);
        }
        if (chance(r, 1)) {
            /* a bit flipped in the last instruction */
            g->code[g->n - 1] ^= 1u << below(r, 32);
        }
    }
    if (chance(r, 92)) {
        sh_emit(g, SOPP(0x01, 0));                      /* s_endpgm */
    }
    return g->n;
}

/* A size of a launch: the usual one, an edge, anything. */
static uint32_t sh_wg_size(Rng *r)
{
    static const uint32_t edge[] = { 1, 63, 65, 1023, 1024, 1025, 65535, 0 };
    static const uint32_t usual[] = { 64, 128, 256, 1024 };
    unsigned k = below(r, 100);

    return k < 45 ? 64 : k < 60 ? SH_PICK(r, usual) :
           k < 85 ? 1 + below(r, 1024) : k < 98 ? edge[below(r, 7)] : 0;
}

static uint32_t sh_grid(Rng *r, uint32_t wg)
{
    static const uint32_t edge[] = {
        0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffffffc0,
    };
    unsigned k = below(r, 100);

    return k < 82 ? wg * (1 + below(r, 3)) : k < 86 ? wg + (wg < 2) - 1 :
           k < 92 ? edge[1 + below(r, ARRAY_SIZE(edge) - 1)] :
           k < 93 ? 0 : below(r, 1u << 20);
}

/* The kernel's resources, drawn once for descriptor and registers. */
typedef struct ShKernel {
    uint32_t rsrc1, rsrc2, rsrc3, props, user;
    uint32_t group, private;
    uint16_t wg[3];
    uint32_t grid[3];
} ShKernel;

static void sh_kernel(Fuzz *f, ShGen *g, ShKernel *k, bool pm4)
{
    Rng *r = &f->rng;
    static const uint8_t size[] = { 4, 2, 2, 2, 2, 2, 1 };
    static const uint32_t lds[] = { 65536, 65537, 0xffffffff, 65532 };
    unsigned vg, sg, x, i;

    x = below(r, 100);
    vg = x < 60 ? below(r, 8) : x < 80 ? 31 + below(r, 33) : below(r, 64);
    sg = chance(r, 80) ? below(r, 7) : below(r, 16);
    g->nvgprs = (vg + 1) * 8;
    g->nsgprs = (sg + 1) * 16 > 102 ? 102 : (sg + 1) * 16;
    g->accum = g->nvgprs > 256 ? 256 : g->nvgprs;
    k->rsrc1 = vg | sg << 6 |
               (chance(r, 30) ? (uint32_t)below(r, 256) : 0xf0u) << 12 |
               (chance(r, 80) ? 1u << 21 : 0) | (chance(r, 80) ? 1u << 23 : 0);
    if (chance(r, 3)) {
        k->rsrc1 ^= 1u << below(r, 32);
    }
    k->rsrc3 = (g->accum / 4 - 1) & 0x3f;
    if (chance(r, 6)) {
        k->rsrc3 = chance(r, 50) ? below(r, 64) : odd_u32(r);
        g->accum = ((k->rsrc3 & 0x3f) + 1) * 4;
    }

    /* user SGPRs: the kernarg pointer nearly always, others sometimes */
    k->props = 1u << 3;
    if (chance(r, 30)) {
        k->props |= below(r, 128);
    }
    if (chance(r, 4)) {
        k->props = chance(r, 50) ? (uint32_t)below(r, 0x10000) :
                   k->props | (chance(r, 50) ? 1u << 10 : 7u << 7);
    }
    k->user = 0;
    for (i = 0; i < ARRAY_SIZE(size); i++) {
        k->user += (k->props >> i & 1) ? size[i] : 0;
    }
    g->karg_sgpr = (k->props & 1 ? 4 : 0) + (k->props & 2 ? 2 : 0) +
                   (k->props & 4 ? 2 : 0);
    if (pm4) {
        /* USER_DATA as the fuzzer writes it: the kernarg pointer first */
        k->user = chance(r, 90) ? 2 + below(r, 15) : below(r, 32);
        g->karg_sgpr = 0;
    }
    k->rsrc2 = (chance(r, 92) ? k->user : (uint32_t)below(r, 32)) << 1 |
               (uint32_t)below(r, 8) << 7 |             /* TGID_X/Y/Z */
               (chance(r, 30) ? 1u << 10 : 0) |         /* TG_SIZE */
               (uint32_t)below(r, chance(r, 97) ? 3 : 4) << 11 | /* TIDIG */
               (chance(r, 20) ? 1u : 0);                /* SCRATCH_EN */
    if (pm4 ? chance(r, 60) : chance(r, 4)) {
        k->rsrc2 |= (uint32_t)(chance(r, 80) ? below(r, 129) :
                               below(r, 512)) << 15;    /* LDS_SIZE */
    }
    if (chance(r, 3)) {
        k->rsrc2 ^= 1u << below(r, 32);
    }

    x = below(r, 100);
    k->group = x < 50 ? 0 : x < 80 ? (uint32_t)below(r, 65536) :
               x < 92 ? SH_PICK(r, lds) : odd_u32(r);
    x = below(r, 100);
    k->private = x < 70 ? 0 : x < 92 ? (uint32_t)below(r, 64) * 4 :
                 chance(r, 50) ? 0x10000 : odd_u32(r);
    if (k->private && chance(r, 90)) {
        k->rsrc2 |= 1;                                  /* SCRATCH_EN */
    }

    k->wg[0] = sh_wg_size(r);
    k->wg[1] = chance(r, 85) ? 1 : 1 + below(r, chance(r, 95) ? 16 : 1024);
    k->wg[2] = chance(r, 90) ? 1 : below(r, chance(r, 95) ? 4 : 1024) + 1;
    if (chance(r, 2)) {
        k->wg[1 + below(r, 2)] = 0;
    }
    for (i = 0; i < 3; i++) {
        k->grid[i] = sh_grid(r, k->wg[i]);
    }
}

/*
 * ROCr's amd_queue_t scratch fields and queue_inactive_signal, in the
 * pointers block of AQL queue qi (its base: where wptr_off's 56 is from).
 */
static void sh_amd_queue(Fuzz *f, int qi, int ctx)
{
    Rng *r = &f->rng;
    uint64_t base = WIN_PTRS + qi * 0x100ull, sig = 0;
    uint8_t b[AMDQ_FIELDS_END - AMDQ_TMPRING] = { 0 };
    uint32_t waves = chance(r, 70) ? 16u << below(r, 3) :
                     (uint32_t)below(r, 4096);
    uint32_t wave_kib = chance(r, 70) ? 16 + below(r, 49) : below(r, 0x2000);
    uint64_t loc = chance(r, 80) ? VA_WIN + WIN_DATA : gpu_va(f, 0);

    if (chance(r, 40)) {
        /* only the inactive signal: 0, so that dispatches may start */
        put64(b + 192 - AMDQ_TMPRING, chance(r, 95) ? 0 :
              aql_signal(f, ctx));
        wbytes(f, win_pa(ctx, base + 192), b + 192 - AMDQ_TMPRING, 8);
        return;
    }
    put32(b, waves | wave_kib << 12);                           /* 140 */
    put32(b + 144 - AMDQ_TMPRING, (uint32_t)loc);               /* SRD */
    put32(b + 148 - AMDQ_TMPRING, loc >> 32 & 0xffff);
    put32(b + 152 - AMDQ_TMPRING, chance(r, 80) ? 0xffffffff : odd_u32(r));
    put32(b + 156 - AMDQ_TMPRING, chance(r, 80) ? 0x00027000 : odd_u32(r));
    put64(b + 160 - AMDQ_TMPRING, loc);                         /* location */
    put64(b + 168 - AMDQ_TMPRING, chance(r, 70) ?               /* size */
          (uint64_t)waves * wave_kib * 1024 : chance(r, 70) ?
          (uint64_t)below(r, WIN_DATA_SIZE) : odd_u64(r));
    put32(b + 176 - AMDQ_TMPRING, chance(r, 70) ? 1024 : odd_u32(r));
    put32(b + 180 - AMDQ_TMPRING, chance(r, 30) ? 1u << 4 : 0); /* props */
    if (chance(r, 5)) {
        sig = aql_signal(f, ctx);
    }
    put64(b + 192 - AMDQ_TMPRING, sig);
    wbytes(f, win_pa(ctx, base + AMDQ_TMPRING), b, sizeof(b));
}

/* Dwords onto a PM4 ring at its wptr, wrapping as op_packets does. */
static void sh_pm4_ring(Fuzz *f, int qi, const uint32_t *p, unsigned n)
{
    FQueue *fq = &f->queues[qi];
    uint64_t ring = WIN_RINGS + qi * 0x10000ull;
    uint64_t bytes = n * 4ull, pos = (fq->wptr * 4) % fq->ring_size, i;
    uint64_t chunk;

    for (i = 0; i < bytes; i += chunk) {
        chunk = fq->ring_size - pos;
        if (chunk > bytes - i) {
            chunk = bytes - i;
        }
        wbytes(f, win_pa(fq->ctx, ring + pos), (const uint8_t *)p + i, chunk);
        pos = (pos + chunk) % fq->ring_size;
    }
    fq->wptr += n;
}

static unsigned sh_set_sh_reg(uint32_t *p, unsigned reg, const uint32_t *v,
                              unsigned n)
{
    unsigned i;

    p[0] = PM4_HDR(0x76, n);
    p[1] = 0x200 + reg;         /* COMPUTE_DISPATCH_INITIATOR - 0x2c00 */
    for (i = 0; i < n; i++) {
        p[2 + i] = v[i];
    }
    return 2 + n;
}

/* sched_wait, shorter: a halted scheduler ring is not waited for long */
static void sh_sched_wait(Fuzz *f)
{
    int i;

    for (i = 0; i < 20 && qstate == Q_OK; i++) {
        if (cmd_read(f, "readl 0x%" PRIx64, reg(f, VKFD_REG_SCHED_RPTR)) ==
            f->sched_wptr) {
            break;
        }
    }
}

/*
 * A queue for a kernel: a queue that faulted stays stopped until it is
 * mapped again, so map slot qi afresh now and then (well-formed).
 */
static void sh_map_queue(Fuzz *f, int qi)
{
    Rng *r = &f->rng;
    FQueue *fq = &f->queues[qi];
    struct vkfd_sched_cmd c = {
        .opcode = VKFD_CMD_MAP_QUEUE, .seq = ++f->seq,
        .fence_addr = PA_FENCES + below(r, 256) * 8,
    };

    if (!f->sched_size || chance(r, 30)) {
        /* a reset or a stray write may have stopped it */
        sched_enable(f, 0x1000);
    }
    if (fq->used) {
        /* its write-back (error included) lands in the MQD: wait for it */
        unmap_queue(f, qi);
        sched_kick(f);
        sh_sched_wait(f);
    }
    fq->ctx = 1 + below(r, NCTX);
    if (!f->ctx_live[fq->ctx] || chance(r, 30)) {
        map_context(f, fq->ctx);    /* "already mapped" is harmless */
    }
    fq->type = chance(r, 75) ? VKFD_QUEUE_AQL : VKFD_QUEUE_PM4;
    fq->doorbell = qi;
    fq->ring_size = 0x1000u << below(r, 5);
    fq->wptr = 0;
    fq->used = true;
    mqd_write(f, qi, fq, false);
    wq(f, win_pa(fq->ctx, wptr_off(qi, fq->type)), 0);
    c.ctx_id = fq->ctx;
    c.u.map_queue.mqd_addr = PA_MQD + qi * 0x80ull;
    c.u.map_queue.queue_id = qi;
    sched_put(f, &c);
    sched_kick(f);
    /* the doorbell must find the new queue, not the one before it */
    sh_sched_wait(f);
}

/* A kernel of hostile code onto a mapped AQL or PM4 queue. */
static void op_shader(Fuzz *f)
{
    Rng *r = &f->rng;
    int qi = below(r, NQUEUES), tries, ctx;
    FQueue *fq = &f->queues[qi];
    ShGen g = { .f = f, .r = r };
    ShKernel k;
    uint32_t code[SH_CODE_MAX], ib[128], v[16];
    uint8_t kd[64] = { 0 }, args[64], pkt[64];
    uint64_t slot = WIN_SHADER + below(r, SH_SLOTS) * 0x1000ull;
    uint64_t code_off = SH_CODE_OFF, kargs_off = SH_KARGS_OFF;
    uint64_t kobj, kargs, entry, a;
    unsigned n, i, npk;
    bool pm4;

    for (tries = 0; (!fq->used || fq->type == VKFD_QUEUE_SDMA) && tries < 8;
         tries++) {
        qi = below(r, NQUEUES);
        fq = &f->queues[qi];
    }
    if (!fq->used || fq->type == VKFD_QUEUE_SDMA || chance(r, 60)) {
        sh_map_queue(f, qi);
    }
    ctx = fq->ctx;
    pm4 = fq->type == VKFD_QUEUE_PM4;
    if (chance(r, 5)) {
        /* the window's last page: code that runs off its end */
        slot = 0x1ff000;
        code_off = 0xf00;
        kargs_off = 0x80;
    }
    g.code = code;
    g.max = (code_off < kargs_off ? kargs_off - code_off : 0x1000 - code_off)
            / 4;
    sh_kernel(f, &g, &k, pm4);
    n = sh_program(&g, chance(r, 85));
    f->shaders++;

    kobj = VA_WIN + slot;
    entry = code_off;
    kargs = VA_WIN + slot + kargs_off;
    if (chance(r, 5)) {
        static const int64_t odd_entry[] = {
            0, -256, 0x100000, 1ll << 47, 0x104, -(1ll << 40),
        };
        entry = SH_PICK(r, odd_entry);
    }
    put32(kd + 0, k.group);
    put32(kd + 4, k.private);
    put32(kd + 8, sizeof(args));
    put64(kd + 16, entry);
    put32(kd + 44, k.rsrc3);
    put32(kd + 48, k.rsrc1);
    put32(kd + 52, k.rsrc2);
    put16(kd + 56, k.props);
    wbytes(f, win_pa(ctx, slot), kd, sizeof(kd));
    wbytes(f, win_pa(ctx, slot + code_off), code, n * 4);

    /* kernargs: two addresses and a buffer resource (the prologue's) */
    a = chance(r, 85) ? VA_WIN + WIN_DATA + below(r, 0x60000 / 4) * 4 :
        gpu_va(f, 4096);
    put64(args, a);
    put64(args + 8, gpu_va(f, 4096));
    put32(args + 16, (uint32_t)a);
    put32(args + 20, (a >> 32 & 0xffff) |
          (chance(r, 70) ? 0u : (uint32_t)below(r, 0x4000) << 16));
    put32(args + 24, chance(r, 60) ? 0x1000 + below(r, 0x10000) :
          chance(r, 50) ? 0xffffffff : 0);
    put32(args + 28, chance(r, 80) ? 0x00027000 : odd_u32(r));
    for (i = 32; i < sizeof(args); i += 8) {
        put64(args + i, chance(r, 50) ? gpu_va(f, 64) : odd_u64(r));
    }
    wbytes(f, win_pa(ctx, slot + kargs_off), args, sizeof(args));

    if (chance(r, 5)) {
        kobj = chance(r, 50) ? kobj + 8 * (1 + below(r, 7)) : gpu_va(f, 64);
    }
    if (!pm4) {
        if (chance(r, 70)) {
            sh_amd_queue(f, qi, ctx);
        }
        npk = chance(r, 85) ? 1 : 2;
        for (i = 0; i < npk; i++) {
            memset(pkt, 0, sizeof(pkt));
            put16(pkt, VKFD_AQL_TYPE_KERNEL |
                  (chance(r, 50) ? VKFD_AQL_HEADER_BARRIER : 0) |
                  (uint32_t)below(r, 16) << 9);
            put16(pkt + 2, chance(r, 92) ? 1u + (k.wg[1] > 1) + (k.wg[2] > 1) :
                  (unsigned)below(r, 4));
            put16(pkt + 4, k.wg[0]);
            put16(pkt + 6, k.wg[1]);
            put16(pkt + 8, k.wg[2]);
            put32(pkt + 12, k.grid[0]);
            put32(pkt + 16, k.grid[1]);
            put32(pkt + 20, k.grid[2]);
            put32(pkt + 24, chance(r, 90) ? 0 : k.private + below(r, 4096));
            put32(pkt + 28, chance(r, 80) ? 0 : chance(r, 50) ? 65536 :
                  below(r, 70000));
            put64(pkt + 32, kobj);
            put64(pkt + 40, chance(r, 97) ? kargs : gpu_va(f, 64));
            if (chance(r, 40)) {
                put64(pkt + 56, aql_signal(f, ctx));
            }
            wbytes(f, win_pa(ctx, WIN_RINGS + qi * 0x10000ull +
                             (fq->wptr * 64) % fq->ring_size), pkt, 64);
            fq->wptr++;
        }
    } else {
        entry += kobj;
        n = 0;
        for (i = 0; i < 3; i++) {
            v[i] = chance(r, 90) ? 0 : odd_u32(r);          /* START_X.. */
            v[3 + i] = k.wg[i] | (chance(r, 3) ? odd_u32(r) << 16 : 0);
        }
        n += sh_set_sh_reg(ib + n, 0x04, v, 6);
        v[0] = entry >> 8;                                  /* PGM_LO/HI */
        v[1] = entry >> 40;
        v[2] = v[3] = 0;
        v[4] = (uint32_t)(VA_WIN + WIN_DATA) >> 8;          /* SCRATCH */
        v[5] = (VA_WIN + WIN_DATA) >> 40;
        v[6] = k.rsrc1;
        v[7] = k.rsrc2;
        n += sh_set_sh_reg(ib + n, 0x0c, v, 8);
        v[0] = chance(r, 70) ? 16 | (1 + below(r, 8)) << 12 : odd_u32(r);
        n += sh_set_sh_reg(ib + n, 0x18, v, 1);             /* TMPRING */
        v[0] = k.rsrc3;
        n += sh_set_sh_reg(ib + n, 0x2d, v, 1);
        v[0] = (uint32_t)kargs;
        v[1] = kargs >> 32;
        for (i = 2; i < 16; i++) {
            v[i] = chance(r, 50) ? (uint32_t)gpu_va(f, 64) : odd_u32(r);
        }
        n += sh_set_sh_reg(ib + n, 0x40, v, 16);            /* USER_DATA */
        ib[n++] = PM4_HDR(0x15, 3);                         /* DISPATCH */
        for (i = 0; i < 3; i++) {
            ib[n++] = chance(r, 85) ? (k.grid[i] + k.wg[i] - 1) /
                      (k.wg[i] ? k.wg[i] : 1) : k.grid[i];
        }
        ib[n++] = chance(r, 90) ? 1 | (chance(r, 20) ? 1u << 5 : 0) :
                  odd_u32(r);
        a = VA_WIN + WIN_IBS + below(r, 16) * 0x4000ull;
        wbytes(f, win_pa(ctx, a - VA_WIN), ib, n * 4);
        v[0] = PM4_HDR(VKFD_PM4_OP_INDIRECT_BUFFER, 2);
        v[1] = (uint32_t)a;
        v[2] = a >> 32;
        v[3] = n;
        sh_pm4_ring(f, qi, v, 4);
    }
    wq(f, win_pa(ctx, wptr_off(qi, fq->type)), fq->wptr);
    if (chance(r, 97)) {
        cmd(f, "writeq 0x%" PRIx64 " 0x%" PRIx64,
            f->bar[VKFD_BAR_DOORBELL] + ctx * 0x2000ull + fq->doorbell * 8,
            fq->wptr);
    }
}

/* ---- registers, IH, MSI-X, resets ---------------------------------- */

static void op_reg(Fuzz *f)
{
    Rng *r = &f->rng;
    static const unsigned regs[] = {
        VKFD_REG_CONTROL, VKFD_REG_SCHED_BASE_LO, VKFD_REG_SCHED_BASE_HI,
        VKFD_REG_SCHED_SIZE, VKFD_REG_SCHED_WPTR, VKFD_REG_VM_FAULT_STATUS,
        VKFD_REG_IH_BASE_LO, VKFD_REG_IH_BASE_HI, VKFD_REG_IH_SIZE,
        VKFD_REG_IH_CNTL, VKFD_REG_IH_RPTR, VKFD_REG_IH_STATUS,
        VKFD_REG_IH_WPTR_ADDR_LO, VKFD_REG_IH_WPTR_ADDR_HI,
        VKFD_REG_ID, VKFD_REG_CLOCK_LO, VKFD_REG_WAVES_SEL, VKFD_REG_WAVES,
        VKFD_REG_NUM_QUEUES, VKFD_REG_NUM_PREEMPTED,
    };
    unsigned off = chance(r, 85) ? regs[below(r, ARRAY_SIZE(regs))] :
                   below(r, VKFD_REGS_SIZE);
    static const char *const w[] = { "writeb", "writew", "writel",
                                     "writeq" };

    if (chance(r, 10)) {
        /* a context's resident waves, live context or not */
        wl(f, reg(f, VKFD_REG_WAVES_SEL),
           chance(r, 70) ? (uint32_t)pick_ctx(f) : odd_u32(r));
        cmd(f, "readl 0x%" PRIx64, reg(f, VKFD_REG_WAVES));
    } else if (chance(r, 40)) {
        cmd(f, "readl 0x%" PRIx64, reg(f, off & ~3u));
    } else if (chance(r, 90)) {
        wl(f, reg(f, off & ~3u), odd_u32(r));
    } else {
        cmd(f, "%s 0x%" PRIx64 " 0x%x", w[below(r, 4)], reg(f, off),
            odd_u32(r));
    }
}

static void op_ring_config(Fuzz *f)
{
    Rng *r = &f->rng;

    if (chance(r, 80)) {
        sched_enable(f, 0x1000u << below(r, 5));
        return;
    }
    wl(f, reg(f, VKFD_REG_CONTROL), 0);
    wl(f, reg(f, VKFD_REG_SCHED_BASE_LO), (uint32_t)hostile_pa(f));
    wl(f, reg(f, VKFD_REG_SCHED_SIZE), odd_u32(r));
    wl(f, reg(f, VKFD_REG_CONTROL), odd_u32(r) & ~VKFD_CONTROL_RESET);
    f->sched_size = 0;
}

static void op_ih(Fuzz *f)
{
    Rng *r = &f->rng;
    uint64_t base = chance(r, 70) ? PA_IH : hostile_pa(f) & ~0xfffull;
    uint32_t size = chance(r, 90) ? 0x1000u << below(r, 5) : odd_u32(r);
    /*
     * The write-pointer write-back word: usually in RAM past the ring's
     * largest size, sometimes unaligned or somewhere hostile (the ring
     * itself, a BAR, nothing).
     */
    uint64_t wb = chance(r, 70) ? PA_IH + 0x10000 + below(r, 16) * 4 :
                  chance(r, 50) ? base + below(r, 64) : hostile_pa(f);
    uint32_t cntl = VKFD_IH_CNTL_ENABLE;

    if (chance(r, 60)) {
        cntl |= VKFD_IH_CNTL_RPTR_REARM;
    }
    if (chance(r, 60)) {
        cntl |= VKFD_IH_CNTL_WPTR_WRITEBACK;
    }
    switch (below(r, 3)) {
    case 0:
        wl(f, reg(f, VKFD_REG_IH_CNTL), 0);
        wl(f, reg(f, VKFD_REG_IH_BASE_LO), (uint32_t)base);
        wl(f, reg(f, VKFD_REG_IH_BASE_HI), base >> 32);
        wl(f, reg(f, VKFD_REG_IH_SIZE), size);
        wl(f, reg(f, VKFD_REG_IH_WPTR_ADDR_LO), (uint32_t)wb);
        wl(f, reg(f, VKFD_REG_IH_WPTR_ADDR_HI), wb >> 32);
        wl(f, reg(f, VKFD_REG_IH_CNTL), chance(r, 95) ? cntl : odd_u32(r));
        break;
    case 1:
        wl(f, reg(f, VKFD_REG_IH_RPTR), chance(r, 80) ?
           below(r, 128) * 32 : odd_u32(r));
        break;
    default:
        wl(f, reg(f, VKFD_REG_IH_STATUS), odd_u32(r));
        break;
    }
}

static void op_msix(Fuzz *f)
{
    Rng *r = &f->rng;
    uint64_t t = f->bar[VKFD_BAR_MSIX] + below(r, 4) * 16;
    uint64_t a = chance(r, 40) ? PA_MSI + below(r, 64) * 4 : hostile_pa(f);
    uint32_t data = chance(r, 50) ? odd_u32(r) : (uint32_t)rnd(r);

    switch (below(r, 3)) {
    case 0:
        wl(f, t, (uint32_t)a);
        wl(f, t + 4, a >> 32);
        wl(f, t + 8, data);
        wl(f, t + 12, chance(r, 80) ? 0 : 1);
        break;
    case 1:
        cfg_ww(f, f->dev_bdf, f->msix_cap + 2,
               chance(r, 80) ? 0x8000 : chance(r, 50) ? 0xc000 : 0);
        break;
    default:
        cmd(f, "readq 0x%" PRIx64, f->bar[VKFD_BAR_MSIX] + 0x800);
        break;
    }
}

static void op_reset(Fuzz *f)
{
    Rng *r = &f->rng;

    switch (below(r, 6)) {
    case 0: case 1:
        wl(f, reg(f, VKFD_REG_CONTROL), VKFD_CONTROL_RESET);
        forget_device(f);
        break;
    case 2:
        if (f->topo != TOPO_ROOT) {
            /* Secondary Bus Reset, then release it */
            cfg_wl(f, f->parent_bdf, 0x3c, 0x00400000);
            cfg_wl(f, f->parent_bdf, 0x3c, 0);
            forget_device(f);
            if (chance(r, 80)) {
                pci_setup(f);   /* the reset cleared the BARs */
            }
        }
        break;
    case 3:
        if (f->parent_pcie_cap) {
            cfg_ww(f, f->parent_bdf, f->parent_pcie_cap + 0x18, 0x07c0);
            cfg_ww(f, f->parent_bdf, f->parent_pcie_cap + 0x18, 0x03c0);
            forget_device(f);
            if (chance(r, 80)) {
                pci_setup(f);
            }
        }
        break;
    case 4:
        /* bus master off for a moment */
        cfg_ww(f, f->dev_bdf, 0x04, 0x0002);
        cfg_ww(f, f->dev_bdf, 0x04, 0x0006);
        break;
    default:
        /* the whole machine (q35's reset control register) */
        cmd(f, "outb 0xcf9 0x6");
        cmd(f, "clock_step 1000");
        pci_setup(f);
        forget_device(f);
        break;
    }
}

static void op_scribble(Fuzz *f)
{
    Rng *r = &f->rng;

    /* the CPU changes what the device may be looking at */
    switch (below(r, 4)) {
    case 0:
        wl(f, PA_SCHED + (below(r, 0x4000) & ~3u), odd_u32(r));
        break;
    case 1:
        wl(f, PA_MQD + (below(r, NQUEUES * 0x80) & ~3u), odd_u32(r));
        break;
    case 2:
        wl(f, win_pa(1 + below(r, NCTX), below(r, 0x200000) & ~3u),
           odd_u32(r));
        break;
    default:
        cmd(f, "readl 0x%" PRIx64, f->bar[VKFD_BAR_DOORBELL] +
            below(r, 0x20000) * 4);
        break;
    }
}

/* ---- QEMU processes -------------------------------------------------- */

static void build_args(Fuzz *f)
{
    static char dev[160];
    int n = 0;

    f->args[n++] = (char *)"-M";
    f->args[n++] = (char *)"q35";
    f->args[n++] = (char *)"-m";
    f->args[n++] = (char *)"256M";
    f->args[n++] = (char *)"-nodefaults";
    f->args[n++] = (char *)"-display";
    f->args[n++] = (char *)"none";
    f->args[n++] = (char *)"-accel";
    f->args[n++] = (char *)"qtest";
    switch (f->topo) {
    case TOPO_ROOT:
        f->dev_bdf = 0 << 8 | 4 << 3;
        f->parent_bdf = 0;      /* the MCH */
        snprintf(dev, sizeof(dev), "vkfd,addr=04.0");
        break;
    case TOPO_ROOT_PORT:
        f->args[n++] = (char *)"-device";
        f->args[n++] = (char *)"pcie-root-port,id=rp,bus=pcie.0,addr=05.0,"
                               "chassis=1,slot=1";
        f->dev_bdf = 1 << 8;
        f->parent_bdf = 5 << 3;
        snprintf(dev, sizeof(dev), "vkfd,bus=rp,addr=00.0");
        break;
    default:
        f->args[n++] = (char *)"-device";
        f->args[n++] = (char *)"pci-bridge,id=br,bus=pcie.0,addr=06.0,"
                               "chassis_nr=2";
        f->dev_bdf = 1 << 8 | 1 << 3;
        f->parent_bdf = 6 << 3;
        snprintf(dev, sizeof(dev), "vkfd,bus=br,addr=01.0");
        break;
    }
    strncat(dev, ",max-contexts=16,vram-size=1M,max-queues=14",
            sizeof(dev) - strlen(dev) - 1);
    f->args[n++] = (char *)"-device";
    f->args[n++] = dev;
    f->nargs = n;
}

static bool qemu_start(Fuzz *f, const char *incoming)
{
    Session *q = &f->q;
    int in[2], out[2], errfd, i, n = 0;
    char qmp[160];
    char *argv[MAX_ARGS + 12];
    static unsigned serial;

    snprintf(q->err_path, sizeof(q->err_path), "%s/vkfd-fuzz-%d.stderr",
             f->out_dir, getpid());
    snprintf(q->qmp_path, sizeof(q->qmp_path), "/tmp/vkfd-fuzz-%d-%u.qmp",
             getpid(), serial++);
    snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", q->qmp_path);
    argv[n++] = (char *)f->qemu_bin;
    for (i = 0; i < f->nargs; i++) {
        argv[n++] = f->args[i];
    }
    argv[n++] = (char *)"-qtest";
    argv[n++] = (char *)"stdio";
    argv[n++] = (char *)"-qtest-log";
    argv[n++] = (char *)"none";
    argv[n++] = (char *)"-qmp";
    argv[n++] = qmp;
    if (incoming) {
        argv[n++] = (char *)"-incoming";
        argv[n++] = (char *)incoming;
    }
    argv[n] = NULL;
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        die("pipe: %s", strerror(errno));
    }
    errfd = open(q->err_path, O_WRONLY | O_CREAT |
                 (incoming ? O_APPEND : O_TRUNC) | O_CLOEXEC, 0644);
    if (errfd < 0) {
        die("%s: %s", q->err_path, strerror(errno));
    }
    q->pid = fork();
    if (q->pid < 0) {
        die("fork: %s", strerror(errno));
    }
    if (!q->pid) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(errfd, 2);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    child_qemu = q->pid;
    close(in[0]);
    close(out[1]);
    close(errfd);
    q->to_fd = in[1];
    q->from_fd = out[0];
    q->rlen = 0;
    q->olen = 0;
    q->pending = 0;
    q->starting = true;
    qstate = Q_OK;
    return true;
}

/* Stop QEMU; returns its wait status. */
static int qemu_stop(Fuzz *f, bool force)
{
    Session *q = &f->q;
    int status = 0, i;

    if (q->pid <= 0) {
        return 0;
    }
    close(q->to_fd);
    q->to_fd = -1;
    if (force) {
        kill(q->pid, SIGKILL);
    } else {
        kill(q->pid, SIGTERM);
    }
    for (i = 0; i < 3000; i++) {
        if (waitpid(q->pid, &status, WNOHANG) == q->pid) {
            break;
        }
        usleep(10000);
        if (i == 1500) {
            kill(q->pid, SIGKILL);
        }
    }
    if (i == 3000) {
        waitpid(q->pid, &status, 0);
    }
    close(q->from_fd);
    unlink(q->qmp_path);
    q->pid = 0;
    child_qemu = 0;
    return status;
}

/* A minimal QMP client: one command, the line with its answer. */
static int qmp_connect(Fuzz *f)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, i;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->q.qmp_path);
    for (i = 0; i < 500; i++) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            die("socket: %s", strerror(errno));
        }
        if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
            return fd;
        }
        close(fd);
        usleep(10000);
    }
    return -1;
}

static bool qmp_cmd(int fd, const char *json, char *ans, size_t size)
{
    Session tmp = { .from_fd = fd };
    char line[8192];

    if (write(fd, json, strlen(json)) != (ssize_t)strlen(json)) {
        return false;
    }
    for (;;) {
        if (q_readline(&tmp, line, sizeof(line), 60000) != Q_OK) {
            return false;
        }
        if (strstr(line, "\"return\"") || strstr(line, "\"error\"")) {
            snprintf(ans, size, "%s", line);
            return !strstr(line, "\"error\"");
        }
    }
}

static int qmp_open(Fuzz *f)
{
    char ans[8192];
    int fd = qmp_connect(f);
    Session tmp = { .from_fd = fd };

    if (fd < 0) {
        return -1;
    }
    if (q_readline(&tmp, ans, sizeof(ans), 60000) != Q_OK ||
        !qmp_cmd(fd, "{\"execute\":\"qmp_capabilities\"}\n", ans,
                 sizeof(ans))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* "completed", "failed" or something else after waiting. */
static bool qmp_migration_done(int fd, bool *ok)
{
    char ans[8192];
    int i;

    for (i = 0; i < 60000; i++) {
        if (!qmp_cmd(fd, "{\"execute\":\"query-migrate\"}\n", ans,
                     sizeof(ans))) {
            return false;
        }
        if (strstr(ans, "\"completed\"")) {
            *ok = true;
            return true;
        }
        if (strstr(ans, "\"failed\"")) {
            *ok = false;
            return true;
        }
        usleep(1000);
    }
    return false;
}

/*
 * Flip bytes of the migration stream in vkfd's section: "REL:XOR ..."
 * pairs, REL counted from the "/vkfd" of the section's name.  Returns
 * false if the stream has no such section.
 */
static bool mutate_stream(const char *file, const char *mutation)
{
    FILE *fp = fopen(file, "r+b");
    char *buf = NULL, *hit;
    const char *p = mutation;
    long size;
    unsigned rel, x;
    int n;
    bool done = false;

    if (!fp || fseek(fp, 0, SEEK_END)) {
        goto out;
    }
    size = ftell(fp);
    if (size <= 0) {
        goto out;
    }
    buf = malloc(size);
    rewind(fp);
    if (!buf || fread(buf, 1, size, fp) != (size_t)size) {
        goto out;
    }
    hit = memmem(buf, size, "/vkfd", 5);
    if (!hit) {
        goto out;
    }
    while (sscanf(p, " %u:%x%n", &rel, &x, &n) == 2) {
        if ((size_t)(hit - buf) + rel < (size_t)size) {
            hit[rel] ^= (char)x;
        }
        p += n;
    }
    rewind(fp);
    done = fwrite(buf, 1, size, fp) == (size_t)size;
out:
    free(buf);
    if (fp) {
        fclose(fp);
    }
    return done;
}

enum { MIG_OK, MIG_BROKEN, MIG_REFUSED };

/*
 * Migrate the running machine to a new QEMU through a file and go on
 * with that one.  MIG_BROKEN (a finding) if a QEMU broke on the way, or
 * if the destination refused a stream the source produced: the device
 * only ever sends states it can load.  With a mutation (bytes of vkfd's
 * section flipped, as a hostile stream would) the destination may refuse
 * it, cleanly: MIG_REFUSED, and the round is over.
 */
static int migrate(Fuzz *f, const char *mutation, char *why, size_t size)
{
    char file[300], uri[320], json[400], ans[8192];
    bool ok = false, mutated = false;
    int fd, status;

    sync_q(f);
    if (qstate != Q_OK) {
        return MIG_BROKEN;
    }
    note(f, "# migrate%s%s", *mutation ? " mutate " : "", mutation);
    snprintf(file, sizeof(file), "%s/vkfd-fuzz-%d.mig", f->out_dir, getpid());
    snprintf(uri, sizeof(uri), "exec:cat > %s", file);
    fd = qmp_open(f);
    if (fd < 0) {
        snprintf(why, size, "no QMP on the source");
        return MIG_BROKEN;
    }
    snprintf(json, sizeof(json),
             "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}\n", uri);
    if (!qmp_cmd(fd, json, ans, sizeof(ans)) ||
        !qmp_migration_done(fd, &ok) || !ok) {
        close(fd);
        snprintf(why, size, "the source failed to migrate");
        return MIG_BROKEN;
    }
    close(fd);
    qemu_stop(f, false);
    if (*mutation) {
        mutated = mutate_stream(file, mutation);
        f->mutations += mutated;
    }
    snprintf(uri, sizeof(uri), "exec:cat %s", file);
    qemu_start(f, uri);
    fd = qmp_open(f);
    if (fd < 0 || !qmp_migration_done(fd, &ok) || !ok) {
        if (fd >= 0) {
            close(fd);
        }
        unlink(file);
        if (mutated) {
            /* refusing a hostile stream is right; dying of it is not */
            status = qemu_stop(f, false);
            qstate = Q_EOF;
            if (WIFEXITED(status) || (WIFSIGNALED(status) &&
                                     WTERMSIG(status) == SIGTERM)) {
                f->refused++;
                return MIG_REFUSED;
            }
            snprintf(why, size, "a mutated stream killed the destination "
                     "(signal %d)", WTERMSIG(status));
            return MIG_BROKEN;
        }
        snprintf(why, size, ok ? "the destination broke while loading" :
                 "the destination refused the device's state");
        return MIG_BROKEN;
    }
    unlink(file);
    qmp_cmd(fd, "{\"execute\":\"cont\"}\n", ans, sizeof(ans));
    close(fd);
    f->migrations++;
    return MIG_OK;
}

/* A few byte flips in the first 1 KiB of vkfd's section, or none. */
static void pick_mutation(Fuzz *f, char *buf, size_t size)
{
    Rng *r = &f->rng;
    unsigned n = chance(r, 40) ? 1 + below(r, 4) : 0, i;
    size_t len = 0;

    buf[0] = 0;
    for (i = 0; i < n && len + 16 < size; i++) {
        len += snprintf(buf + len, size - len, "%s%u:%x", i ? " " : "",
                        (unsigned)(5 + below(r, 1024)),
                        chance(r, 50) ? 1u << below(r, 8) :
                        (unsigned)(1 + below(r, 255)));
    }
}

/* ---- rounds ---------------------------------------------------------- */

/*
 * QEMU 7.2's own limits, not vkfd's: a root port or bridge whose config
 * the guest changed (slot power, status bits) may fail to load on the
 * destination ("Bad config data" in the bridge's PCIDevice).
 */
static bool known_qemu_issue(const char *path)
{
    char line[1024];
    FILE *fp = fopen(path, "r");
    bool bad_config = false, bridge = false;

    while (fp && fgets(line, sizeof(line), fp)) {
        bad_config |= !!strstr(line, "get_pci_config_device: Bad config");
        bridge |= strstr(line, "Failed to load pcie-root-port:") ||
                  strstr(line, "Failed to load pci-bridge:");
        if (strstr(line, "AddressSanitizer") ||
            strstr(line, "runtime error:") ||
            strstr(line, "Failed to load vkfd")) {
            bridge = false;
            break;
        }
    }
    if (fp) {
        fclose(fp);
    }
    return bad_config && bridge;
}

static bool stderr_has_report(const char *path, char *first, size_t size)
{
    static const char *const marks[] = {
        "ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
        "Assertion", "assertion", "qemu: hardware error",
    };
    char line[1024];
    FILE *fp = fopen(path, "r");
    bool hit = false;
    unsigned i;

    if (!fp) {
        return false;
    }
    while (!hit && fgets(line, sizeof(line), fp)) {
        for (i = 0; i < ARRAY_SIZE(marks); i++) {
            if (strstr(line, marks[i])) {
                line[strcspn(line, "\n")] = 0;
                snprintf(first, size, "%s", line);
                hit = true;
                break;
            }
        }
    }
    fclose(fp);
    return hit;
}

/*
 * After the abuse: the device must still be there and run a command.
 * The expected answers go into the script as "# expect" lines.
 */
static bool health_check(Fuzz *f, char *why, size_t size)
{
    uint64_t v;
    int i;
    struct vkfd_sched_cmd c = {
        .opcode = VKFD_CMD_NOP, .seq = 0x600d, .fence_addr = PA_FENCES,
    };

    note(f, "# health check");
    /*
     * Quiesce first: an MSI-X message the round aimed at config space
     * may still be under way and undo a set-up made before it lands.
     */
    pci_setup(f);
    cfg_ww(f, f->dev_bdf, f->msix_cap + 2, 0);
    wl(f, reg(f, VKFD_REG_IH_CNTL), 0);
    wl(f, reg(f, VKFD_REG_CONTROL), VKFD_CONTROL_RESET);
    for (i = 0; i < 4; i++) {
        cmd(f, "clock_step 1000000");
        sync_q(f);
    }
    pci_setup(f);
    v = cfg_rl(f, f->dev_bdf, 0);
    note(f, "# expect OK 0x%016" PRIx64,
         (uint64_t)(VKFD_PCI_DEVICE_ID << 16 | VKFD_PCI_VENDOR_ID));
    if (v != (VKFD_PCI_DEVICE_ID << 16 | VKFD_PCI_VENDOR_ID) ||
        !f->msix_cap) {
        snprintf(why, size, "the device vanished from its bus (ID 0x%"
                 PRIx64 ")", v);
        return false;
    }
    cfg_ww(f, f->dev_bdf, f->msix_cap + 2, 0);
    v = cmd_read(f, "readl 0x%" PRIx64, reg(f, VKFD_REG_ID));
    note(f, "# expect OK 0x%016" PRIx64, (uint64_t)VKFD_ID_MAGIC);
    if (v != VKFD_ID_MAGIC) {
        snprintf(why, size, "ID reads 0x%" PRIx64 " after the round", v);
        return false;
    }
    wl(f, reg(f, VKFD_REG_CONTROL), VKFD_CONTROL_RESET);
    wl(f, reg(f, VKFD_REG_IH_CNTL), 0);
    cmd(f, "memset 0x%" PRIx64 " 0x1000 0x0", PA_SCHED);
    cmd(f, "memset 0x%" PRIx64 " 0x8 0x0", PA_FENCES);
    sched_enable(f, 0x1000);
    sched_put(f, &c);
    sched_kick(f);
    for (i = 0; i < 2000; i++) {
        v = cmd_read(f, "readq 0x%" PRIx64, (uint64_t)PA_FENCES);
        if (v == 0x600d || qstate != Q_OK) {
            break;
        }
        cmd(f, "clock_step 100000");
    }
    note(f, "# expect OK 0x%016" PRIx64, (uint64_t)0x600d);
    if (v != 0x600d) {
        snprintf(why, size, "a NOP command did not complete (fence 0x%"
                 PRIx64 ")", v);
        return false;
    }
    return true;
}

static const char *save_script(Fuzz *f, uint64_t round)
{
    static char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/vkfd-fuzz-%s-s%" PRIu64 "-r%" PRIu64
             ".qtest", f->out_dir, topo_name[f->topo], f->seed, round);
    fp = fopen(path, "w");
    if (!fp) {
        die("%s: %s", path, strerror(errno));
    }
    fprintf(fp, "%s", f->script ? f->script : "");
    fprintf(fp, "# end\n");
    fclose(fp);
    return path;
}

static void save_finding(Fuzz *f, uint64_t round, const char *why,
                         const char *report)
{
    const char *path = save_script(f, round);
    char line[1024], err_path[600];
    FILE *err;
    unsigned n = 0;

    /* keep QEMU's stderr next to the script */
    snprintf(err_path, sizeof(err_path), "%.*s.stderr",
             (int)(strlen(path) - 6), path);
    if (rename(f->q.err_path, err_path)) {
        snprintf(err_path, sizeof(err_path), "%s", f->q.err_path);
    }
    f->findings++;
    printf("# FINDING %s: %s%s%s\n#   saved as %s\n", topo_name[f->topo], why,
           *report ? ": " : "", report, path);
    /* the first lines of a sanitizer report help triage */
    printf("#   QEMU's stderr: %s\n", err_path);
    err = fopen(err_path, "r");
    while (err && fgets(line, sizeof(line), err) && n < 40) {
        if (strstr(line, "    #") || strstr(line, "ERROR") ||
            strstr(line, "runtime error") || strstr(line, "SUMMARY")) {
            printf("#   %s", line);
            n++;
        }
    }
    if (err) {
        fclose(err);
    }
    fflush(stdout);
}

static void script_header(Fuzz *f, uint64_t round)
{
    int i;

    f->slen = 0;
    note(f, "# vkfd-fuzz reproducer: seed %" PRIu64 ", round %" PRIu64
         ", topology %s", f->seed, round, topo_name[f->topo]);
    note(f, "# replay: vkfd-fuzz --qemu QEMU --replay THIS_FILE");
    script_add(f, "# args:", 7);
    for (i = 0; i < f->nargs; i++) {
        script_add(f, " ", 1);
        script_add(f, f->args[i], strlen(f->args[i]));
    }
    script_add(f, "\n", 1);
}

/* Firmware again: after a reset (or a hostile DMA) the BARs are gone. */
static void op_repair(Fuzz *f)
{
    pci_setup(f);
}

typedef void (*OpFn)(Fuzz *f);

static struct {
    OpFn fn;
    unsigned weight;
} ops[] = {
    { op_sched, 30 },
    { op_packets, 30 },
    { op_shader, 8 },       /* the weight --shader-weight sets */
    { op_pte, 6 },
    { op_reg, 8 },
    { op_ring_config, 2 },
    { op_ih, 5 },
    { op_msix, 5 },
    { op_reset, 1 },
    { op_scribble, 4 },
    { op_repair, 2 },
};

static void one_op(Fuzz *f)
{
    Rng *r = &f->rng;
    unsigned total = 0, i, k;

    for (i = 0; i < ARRAY_SIZE(ops); i++) {
        total += ops[i].weight;
    }
    k = below(r, total);
    for (i = 0; k >= ops[i].weight; i++) {
        k -= ops[i].weight;
    }
    if (chance(r, 5)) {
        cmd(f, "clock_step %" PRIu64, 1000 + below(r, 1000000));
    }
    ops[i].fn(f);
    f->ops++;
}

/*
 * The hostile DMAs of issue 9, one after the other, with nothing random:
 * an UNMAP_QUEUE write-back, a fence, IH entries and an MSI-X message
 * each aimed at the parent bridge's Bridge Control (Secondary Bus Reset)
 * or, behind a root port, at its Slot Control (power off).  The device
 * must refuse them and live on.  --scenario runs this as round 0.
 */
static void op_scenario(Fuzz *f)
{
    uint64_t bctl = cfg_addr(f->parent_bdf, 0x3c);
    uint64_t slot = f->parent_pcie_cap ?
                    cfg_addr(f->parent_bdf, f->parent_pcie_cap + 0x18) : bctl;
    struct vkfd_sched_cmd c = { .opcode = VKFD_CMD_NOP };
    FQueue *fq = &f->queues[0];
    uint32_t trap[2] = { VKFD_SDMA_HEADER(VKFD_SDMA_OP_TRAP, 0),
                         0x00400000 };
    int i;

    /* a context and an SDMA queue whose rptr sets SBR in its high half */
    map_context(f, 1);
    *fq = (FQueue) { .used = true, .ctx = 1, .type = VKFD_QUEUE_SDMA,
                     .doorbell = 0, .ring_size = 0x1000,
                     .wptr = 0x0040000000000000ull };
    mqd_write(f, 0, fq, false);
    wq(f, win_pa(1, wptr_off(0, fq->type)), fq->wptr);
    c.opcode = VKFD_CMD_MAP_QUEUE;
    c.ctx_id = 1;
    c.seq = ++f->seq;
    c.fence_addr = PA_FENCES;
    c.u.map_queue.mqd_addr = PA_MQD;
    sched_put(f, &c);
    sched_kick(f);
    sync_q(f);
    note(f, "# MQD write-back onto Bridge Control");
    c.opcode = VKFD_CMD_UNMAP_QUEUE;
    c.seq = ++f->seq;
    c.u.unmap_queue.mqd_addr = bctl - 0x3c + 0x38 - 40;
    c.u.unmap_queue.doorbell = 0;
    sched_put(f, &c);
    note(f, "# error_info of the write-back onto Bridge Control");
    c.seq = ++f->seq;
    c.u.unmap_queue.mqd_addr = bctl - 52;
    sched_put(f, &c);
    sched_kick(f);
    sync_q(f);
    note(f, "# a fence whose seq lands on Slot Control (or BAR/ROM words)");
    memset(&c.u, 0, sizeof(c.u));
    c.opcode = VKFD_CMD_NOP;
    c.seq = 0x07c0;
    c.fence_addr = slot & ~7ull;
    sched_put(f, &c);
    c.seq = 0x00400000;
    c.fence_addr = bctl & ~7ull;
    sched_put(f, &c);
    sched_kick(f);
    sync_q(f);
    unmap_queue(f, 0);
    sched_kick(f);
    sync_q(f);
    note(f, "# IH ring in the bridge's config page; SDMA TRAPs post to it");
    wl(f, reg(f, VKFD_REG_IH_CNTL), 0);
    wl(f, reg(f, VKFD_REG_IH_BASE_LO), (uint32_t)(bctl & ~0xfffull));
    wl(f, reg(f, VKFD_REG_IH_BASE_HI), (bctl & ~0xfffull) >> 32);
    wl(f, reg(f, VKFD_REG_IH_SIZE), 0x1000);
    wl(f, reg(f, VKFD_REG_IH_CNTL), VKFD_IH_CNTL_ENABLE);
    /* a second queue (slot 1, doorbell 1) that posts TRAP entries */
    fq = &f->queues[1];
    *fq = (FQueue) { .used = true, .ctx = 1, .type = VKFD_QUEUE_SDMA,
                     .doorbell = 1, .ring_size = 0x1000 };
    mqd_write(f, 1, fq, false);
    wq(f, win_pa(1, wptr_off(1, fq->type)), 0);
    c.opcode = VKFD_CMD_MAP_QUEUE;
    c.seq = ++f->seq;
    c.fence_addr = PA_FENCES;
    c.u.map_queue.mqd_addr = PA_MQD + 0x80;
    c.u.map_queue.queue_id = 1;
    sched_put(f, &c);
    sched_kick(f);
    sched_wait(f);
    for (i = 0; i < 4; i++) {
        wbytes(f, win_pa(1, WIN_RINGS + 0x10000 + fq->wptr), trap,
               sizeof(trap));
        fq->wptr += sizeof(trap);
    }
    wq(f, win_pa(1, wptr_off(1, fq->type)), fq->wptr);
    cmd(f, "writeq 0x%" PRIx64 " 0x%" PRIx64,
        f->bar[VKFD_BAR_DOORBELL] + 0x2008ull, fq->wptr);
    cmd(f, "clock_step 1000000");
    sync_q(f);
    note(f, "# an MSI-X message onto Bridge Control and onto Slot Control");
    wl(f, reg(f, VKFD_REG_IH_CNTL), 0);
    for (i = 0; i < 2; i++) {
        uint64_t t = f->bar[VKFD_BAR_MSIX] + i * 16;
        uint64_t a = i ? slot : bctl;

        wl(f, t, (uint32_t)a);
        wl(f, t + 4, a >> 32);
        wl(f, t + 8, i ? 0x07c0 : 0x00400000);
        wl(f, t + 12, 0);
    }
    cfg_ww(f, f->dev_bdf, f->msix_cap + 2, 0x8000);
    memset(&c.u, 0, sizeof(c.u));
    c.opcode = VKFD_CMD_NOP;
    c.flags = VKFD_CMD_F_IRQ;
    c.seq = ++f->seq;
    c.fence_addr = PA_FENCES + 8;
    sched_put(f, &c);
    sched_kick(f);
    wl(f, reg(f, VKFD_REG_IH_BASE_LO), (uint32_t)PA_IH);
    wl(f, reg(f, VKFD_REG_IH_BASE_HI), 0);
    wl(f, reg(f, VKFD_REG_IH_CNTL), VKFD_IH_CNTL_ENABLE);
    sched_wait(f);
    wbytes(f, win_pa(1, WIN_RINGS + 0x10000 + fq->wptr), trap, sizeof(trap));
    fq->wptr += sizeof(trap);
    wq(f, win_pa(1, wptr_off(1, fq->type)), fq->wptr);
    cmd(f, "writeq 0x%" PRIx64 " 0x%" PRIx64,
        f->bar[VKFD_BAR_DOORBELL] + 0x2008ull, fq->wptr);
    cmd(f, "clock_step 1000000");
    sync_q(f);
}

static bool scenario_mode;

/* One QEMU, one topology, n operations; false on a finding. */
static bool round_run(Fuzz *f, uint64_t round, uint64_t n, bool do_migrate)
{
    char why[256] = "", report[1024] = "", mutation[128] = "";
    uint64_t i, mig_at = do_migrate ? below(&f->rng, n) : ~0ull;
    bool ok = true, over = false;
    int status, mig;

    memset(f->queues, 0, sizeof(f->queues));
    memset(f->root, 0, sizeof(f->root));
    *slow_why = 0;
    forget_device(f);
    f->pt_next = 0;
    f->parent_pcie_cap = 0;
    build_args(f);
    script_header(f, round);
    qemu_start(f, NULL);
    if (!pci_setup(f)) {
        if (qstate == Q_OK) {
            die("vkfd not found where expected (%s)", topo_name[f->topo]);
        }
        ok = false;
    }
    cmd(f, "memset 0x%" PRIx64 " 0x%" PRIx64 " 0x0", PA_SCHED, 0x500000ull);
    sched_enable(f, 0x1000);
    if (scenario_mode) {
        note(f, "# scenario: hostile DMA at the parent bridge");
        op_scenario(f);
        f->ops++;
        n = 0;
    }
    for (i = 0; ok && i < n && qstate == Q_OK && !stop_requested; i++) {
        note(f, "# op %" PRIu64, i);
        one_op(f);
        if (i == mig_at) {
            pick_mutation(f, mutation, sizeof(mutation));
            mig = migrate(f, mutation, why, sizeof(why));
            ok = mig != MIG_BROKEN;
            over = mig == MIG_REFUSED;
        }
        if (over) {
            break;
        }
        sync_q(f);
    }
    if (over) {
        /* the destination refused a mutated stream: only reports count */
        if (stderr_has_report(f->q.err_path, report, sizeof(report))) {
            save_finding(f, round, "report after a mutated stream", report);
            return false;
        }
        unlink(f->q.err_path);
        return true;
    }
    sync_q(f);
    if (ok && qstate == Q_OK) {
        ok = health_check(f, why, sizeof(why));
    }
    if (ok && *slow_why) {
        ok = false;
        snprintf(why, sizeof(why), "%s", slow_why);
    }
    if (qstate == Q_HANG) {
        snprintf(why, sizeof(why), "QEMU stopped answering for %d s",
                 reply_timeout_ms / 1000);
        ok = false;
    } else if (qstate == Q_EOF && !*why) {
        snprintf(why, sizeof(why), "QEMU went away");
        ok = false;
    }
    status = qemu_stop(f, qstate == Q_HANG);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
        WTERMSIG(status) != SIGKILL) {
        ok = false;
        snprintf(why + strlen(why), sizeof(why) - strlen(why),
                 "%sQEMU died of signal %d", *why ? "; " : "",
                 WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
               qstate != Q_HANG) {
        ok = false;
        snprintf(why + strlen(why), sizeof(why) - strlen(why),
                 "%sQEMU exited with %d", *why ? "; " : "",
                 WEXITSTATUS(status));
    }
    if (stderr_has_report(f->q.err_path, report, sizeof(report))) {
        ok = false;
        if (!*why) {
            snprintf(why, sizeof(why), "sanitizer or assertion report");
        }
    }
    if (!ok && known_qemu_issue(f->q.err_path)) {
        /* not vkfd's: counted and shown, never a finding */
        f->known++;
        printf("# known QEMU limitation in round %" PRIu64 " (%s): %s\n",
               round, topo_name[f->topo], why);
        unlink(f->q.err_path);
    } else if (!ok) {
        save_finding(f, round, why, report);
    } else {
        unlink(f->q.err_path);
        if (keep_all) {
            save_script(f, round);
        }
    }
    return ok;
}

/* ---- replay ----------------------------------------------------------- */

static int replay(Fuzz *f, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL, *tok, *save, why[256] = "", report[1024] = "";
    char expect[4096] = "", reply[4096];
    size_t cap = 0;
    ssize_t len;
    bool ok = true, pending_expect = false;
    int status;

    if (!fp) {
        die("%s: %s", path, strerror(errno));
    }
    f->recording = false;
    f->nargs = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "# args: ", 8)) {
            for (tok = strtok_r(line + 8, " ", &save);
                 tok && f->nargs < MAX_ARGS;
                 tok = strtok_r(NULL, " ", &save)) {
                f->args[f->nargs++] = strdup(tok);
            }
            break;
        }
    }
    if (!f->nargs) {
        die("%s: no '# args:' line", path);
    }
    qemu_start(f, NULL);
    while (ok && qstate == Q_OK && (len = getline(&line, &cap, fp)) > 0) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "# migrate", 9)) {
            const char *m = strstr(line, " mutate ");
            int mig = migrate(f, m ? m + 8 : "", why, sizeof(why));

            ok = mig != MIG_BROKEN;
            if (mig == MIG_REFUSED) {
                break;
            }
        } else if (!strcmp(line, "# sync")) {
            qstate = q_flush(f, reply, sizeof(reply));
            snprintf(expect, sizeof(expect), "%s", reply);
            pending_expect = true;
        } else if (!strncmp(line, "# expect ", 9)) {
            if (!pending_expect || strcmp(expect, line + 9)) {
                snprintf(why, sizeof(why), "expected '%.100s', got '%.100s'",
                         line + 9, pending_expect ? expect : "nothing");
                ok = false;
            }
            pending_expect = false;
        } else if (line[0] != '#' && line[0]) {
            cmd(f, "%s", line);
        }
    }
    sync_q(f);
    free(line);
    fclose(fp);
    if (qstate == Q_HANG) {
        snprintf(why, sizeof(why), "QEMU stopped answering");
        ok = false;
    } else if (qstate == Q_EOF) {
        snprintf(why, sizeof(why), "QEMU went away");
        ok = false;
    }
    status = qemu_stop(f, qstate == Q_HANG);
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
        WTERMSIG(status) != SIGKILL) {
        snprintf(why, sizeof(why), "QEMU died of signal %d",
                 WTERMSIG(status));
        ok = false;
    }
    if (stderr_has_report(f->q.err_path, report, sizeof(report))) {
        snprintf(why, sizeof(why), "report: %.200s", report);
        ok = false;
    }
    snprintf(last_why, sizeof(last_why), "%s", ok ? "" : why);
    if (quiet) {
        unlink(f->q.err_path);
        return ok ? 0 : 1;
    }
    printf("%s - replay %s%s%s\n", ok ? "ok" : "not ok", path,
           ok ? "" : ": ", ok ? "" : why);
    if (ok && !keep_all) {
        unlink(f->q.err_path);
    } else {
        printf("# QEMU's stderr: %s\n", f->q.err_path);
    }
    return ok ? 0 : 1;
}

/* ---- minimizing a finding ---------------------------------------------- */

typedef struct Block {
    char *text;
    bool keep;
} Block;

static void write_blocks(const char *path, const char *head, Block *b,
                         int n, const char *tail)
{
    FILE *fp = fopen(path, "w");
    int i;

    if (!fp) {
        die("%s: %s", path, strerror(errno));
    }
    fputs(head, fp);
    for (i = 0; i < n; i++) {
        if (b[i].keep) {
            fputs(b[i].text, fp);
        }
    }
    fputs(tail, fp);
    fclose(fp);
}

/*
 * Drop operations ("# op N" blocks) while the script still fails its
 * replay, halving the size of the pieces tried (delta debugging); the
 * set-up before the first operation and the health check stay.
 */
static int minimize(Fuzz *f, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL, *head = NULL, *tail = NULL, out[600], tmp[600];
    char orig_why[256];
    size_t cap = 0, hl = 0, tl = 0;
    Block *b = NULL;
    int n = 0, i, j, chunk, kept, tries = 0;
    bool in_tail = false;
    FILE *hs = open_memstream(&head, &hl), *ts = open_memstream(&tail, &tl);

    if (!fp) {
        die("%s: %s", path, strerror(errno));
    }
    while (getline(&line, &cap, fp) > 0) {
        if (!strncmp(line, "# health check", 14)) {
            in_tail = true;
        }
        if (in_tail) {
            fputs(line, ts);
        } else if (!strncmp(line, "# op ", 5)) {
            b = realloc(b, (n + 1) * sizeof(*b));
            b[n].text = strdup(line);
            b[n++].keep = true;
        } else if (n) {
            size_t old = strlen(b[n - 1].text);

            b[n - 1].text = realloc(b[n - 1].text, old + strlen(line) + 1);
            strcpy(b[n - 1].text + old, line);
        } else {
            fputs(line, hs);
        }
    }
    fclose(fp);
    fclose(hs);
    fclose(ts);
    free(line);
    snprintf(tmp, sizeof(tmp), "%s/vkfd-fuzz-%d.try.qtest", f->out_dir,
             getpid());
    quiet = true;
    write_blocks(tmp, head, b, n, tail);
    if (!replay(f, tmp)) {
        die("%s does not fail when replayed: nothing to minimize", path);
    }
    /* a smaller script must fail the same way, not just fail */
    snprintf(orig_why, sizeof(orig_why), "%s", last_why);
    fprintf(stderr, "minimize: the replay fails: %s\n", orig_why);
    kept = n;
    for (chunk = n / 2 > 0 ? n / 2 : 1; ; chunk /= 2) {
        for (i = 0; i < n; i += chunk) {
            bool any = false;

            for (j = i; j < i + chunk && j < n; j++) {
                any |= b[j].keep;
                b[j].keep = false;
            }
            if (!any) {
                continue;
            }
            write_blocks(tmp, head, b, n, tail);
            tries++;
            if (replay(f, tmp) && !strcmp(last_why, orig_why)) {
                /* still fails without them: they stay out */
                kept = 0;
                for (j = 0; j < n; j++) {
                    kept += b[j].keep;
                }
                fprintf(stderr, "minimize: %d of %d operations left "
                        "(%d replays)\n", kept, n, tries);
                continue;
            }
            for (j = i; j < i + chunk && j < n; j++) {
                b[j].keep = true;
            }
        }
        if (chunk == 1) {
            break;
        }
    }
    snprintf(out, sizeof(out), "%.*s.min.qtest", (int)strlen(path) - 6,
             path);
    write_blocks(out, head, b, n, tail);
    unlink(tmp);
    quiet = false;
    printf("# minimized %s: %d of %d operations, %d replays: %s\n", path,
           kept, n, tries, out);
    return 0;
}

/* ---- main -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every *.qtest in a directory (sorted). */
static void add_replay_files(const char *path, char ***files, int *n)
{
    struct stat st;
    struct dirent *de;
    DIR *d;
    char *p;
    int first = *n;

    if (stat(path, &st)) {
        die("%s: %s", path, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        *files = realloc(*files, (*n + 1) * sizeof(**files));
        (*files)[(*n)++] = strdup(path);
        return;
    }
    d = opendir(path);
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);

        if (len < 7 || strcmp(de->d_name + len - 6, ".qtest")) {
            continue;
        }
        if (asprintf(&p, "%s/%s", path, de->d_name) < 0) {
            die("out of memory");
        }
        *files = realloc(*files, (*n + 1) * sizeof(**files));
        (*files)[(*n)++] = p;
    }
    if (d) {
        closedir(d);
    }
    qsort(*files + first, *n - first, sizeof(**files), cmp_str);
}

static void usage(void)
{
    fprintf(stderr,
"usage: vkfd-fuzz --qemu QEMU [--seed N] [--ops N] [--seconds S]\n"
"                 [--round-ops N] [--topology root|root-port|bridge|all]\n"
"                 [--scenario] [--keep] [--batch BYTES] [--timeout S]\n"
"                 [--shader-weight W] [--slow-batch S]\n"
"                 [--out DIR] [--tap] [--verbose]\n"
"       vkfd-fuzz --qemu QEMU [--out DIR] [--keep] --replay FILE|DIR...\n"
"       vkfd-fuzz --qemu QEMU [--out DIR] --minimize FILE\n"
"Fuzzes the vkfd device (ops: structured operations, default 20000),\n"
"stopping at --ops or after --seconds, whichever comes first, in rounds\n"
"of about --round-ops (default 1500) in one QEMU.  --scenario runs the\n"
"hostile DMAs at the parent bridge instead; --keep saves every round.\n"
"--shader-weight: how often a shader kernel is dispatched (default 8,\n"
"against 93 for all the other operations; 0: never).  --slow-batch: a\n"
"batch of commands QEMU took longer than S s to answer is a finding.\n"
"Findings are saved in DIR (default .) as replayable qtest scripts.\n"
"QEMU: --qemu or $QTEST_QEMU_BINARY.  docs/security.md tells more.\n"
"Exit status: 0 nothing found / replays passed, 1 findings / a replay\n"
"failed, 2 usage or set-up error.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    Fuzz f = { .out_dir = ".", .seed = 1 };
    uint64_t max_ops = 20000, round_ops = 1500, round = 0, n;
    double seconds = 0, t0;
    int topo = -1, i, first_replay = 0, rc = 0;
    const char *minimize_path = NULL;
    bool tap = false;

    on_signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--qemu") && v) {
            f.qemu_bin = v;
        } else if (!strcmp(a, "--seed") && v) {
            f.seed = parse_u64(v);
        } else if (!strcmp(a, "--ops") && v) {
            max_ops = parse_u64(v);
        } else if (!strcmp(a, "--seconds") && v) {
            seconds = strtod(v, NULL);
        } else if (!strcmp(a, "--batch") && v) {
            batch_bytes = parse_u64(v);
        } else if (!strcmp(a, "--slow-batch") && v) {
            slow_batch = strtod(v, NULL);
        } else if (!strcmp(a, "--shader-weight") && v) {
            ops[2].weight = parse_u64(v);
        } else if (!strcmp(a, "--round-ops") && v) {
            round_ops = parse_u64(v);
        } else if (!strcmp(a, "--out") && v) {
            f.out_dir = v;
        } else if (!strcmp(a, "--timeout") && v) {
            reply_timeout_ms = atoi(v) * 1000;
        } else if (!strcmp(a, "--topology") && v) {
            topo = !strcmp(v, "root") ? TOPO_ROOT :
                   !strcmp(v, "root-port") ? TOPO_ROOT_PORT :
                   !strcmp(v, "bridge") ? TOPO_BRIDGE :
                   !strcmp(v, "all") ? -1 : -2;
            if (topo == -2) {
                usage();
            }
        } else if (!strcmp(a, "--minimize") && v) {
            minimize_path = v;
        } else if (!strcmp(a, "--replay")) {
            first_replay = i + 1;
            break;
        } else if (!strcmp(a, "--tap")) {
            tap = true;
            continue;
        } else if (!strcmp(a, "--scenario")) {
            scenario_mode = true;
            continue;
        } else if (!strcmp(a, "--keep")) {
            keep_all = true;
            continue;
        } else if (!strcmp(a, "--verbose")) {
            verbose = true;
            continue;
        } else {
            usage();
        }
        i++;
    }
    if (!f.qemu_bin) {
        f.qemu_bin = getenv("QTEST_QEMU_BINARY");
    }
    if (!f.qemu_bin || access(f.qemu_bin, X_OK)) {
        die("no QEMU binary (--qemu or QTEST_QEMU_BINARY)");
    }
    if (mkdir(f.out_dir, 0755) && errno != EEXIST) {
        die("%s: %s", f.out_dir, strerror(errno));
    }
    if (minimize_path) {
        return minimize(&f, minimize_path);
    }
    if (first_replay) {
        char **files = NULL;
        int nfiles = 0;

        for (i = first_replay; i < argc; i++) {
            add_replay_files(argv[i], &files, &nfiles);
        }
        if (!nfiles) {
            die("nothing to replay");
        }
        printf("1..%d\n", nfiles);
        for (i = 0; i < nfiles; i++) {
            rc |= replay(&f, files[i]);
        }
        return rc;
    }
    f.rng.s = f.seed;
    f.recording = true;
    t0 = now();
    if (tap) {
        printf("1..3\n");
    }
    on_signal(SIGINT, on_stop);
    on_signal(SIGTERM, on_stop);
    while (f.ops < max_ops && (!seconds || now() - t0 < seconds) &&
           !stop_requested) {
        f.topo = topo >= 0 ? topo : (int)(round % NTOPO);
        n = round_ops / 2 + below(&f.rng, round_ops);
        if (n > max_ops - f.ops) {
            n = max_ops - f.ops;
        }
        round_run(&f, round, n, chance(&f.rng, 25));
        round++;
        if (verbose) {
            fprintf(stderr, "round %" PRIu64 ": %" PRIu64 " ops, %" PRIu64
                    " commands, %.0f s\n", round, f.ops, f.cmds, now() - t0);
        }
    }
    f.rounds = round;
    printf("# seed %" PRIu64 ": %" PRIu64 " operations (%" PRIu64
           " qtest commands) in %" PRIu64 " rounds, %" PRIu64
           " migrations (%" PRIu64 " of %" PRIu64 " mutated streams refused),"
           " %.1f s, %" PRIu64 " findings (%" PRIu64
           " known QEMU limitations), slowest batch %.3f s, %" PRIu64
           " shader kernels\n",
           f.seed, f.ops, f.cmds, f.rounds, f.migrations, f.refused,
           f.mutations, now() - t0, f.findings, f.known, f.worst_reply,
           f.shaders);
    if (tap) {
        printf("%s 1 - operations run\n", f.ops ? "ok" : "not ok");
        printf("%s 2 - every round ended with a working device\n",
               f.findings ? "not ok" : "ok");
        printf("%s 3 - migrations done\n",
               f.migrations || f.rounds < 4 ? "ok" : "not ok");
    }
    return f.findings || !f.ops ? 1 : 0;
}
