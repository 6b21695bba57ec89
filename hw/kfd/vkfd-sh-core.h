/*
 * vkfd: a virtual AMD KFD device -- the shader core's dispatch state
 *
 * Private to vkfd-sh.c (dispatches, workgroups, the run loop) and
 * vkfd-sh-decode.c (the decode cache); the units see only vkfd-sh.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_KFD_VKFD_SH_CORE_H
#define HW_KFD_VKFD_SH_CORE_H

#include "vkfd-sh.h"

/*
 * The decode cache: per 4 KiB page of code, one slot per dword.  The run
 * loop looks at the page of the last hit first, so executing a cached
 * instruction costs a compare, a load and the handler's call; anything
 * else goes to vkfd_sh_decode_miss(), which returns the decoded
 * instruction at w->pc (decoding it if need be, and making its page the
 * last) or NULL when the wave faulted.  At most
 * VKFD_SH_CODE_PAGES pages are kept; the next one empties the cache.
 */
#define VKFD_SH_CODE_PAGE_SHIFT 12
#define VKFD_SH_CODE_PAGE_SIZE  (1u << VKFD_SH_CODE_PAGE_SHIFT)
#define VKFD_SH_CODE_SLOTS      (VKFD_SH_CODE_PAGE_SIZE / 4)
#define VKFD_SH_CODE_PAGES      256
#define VKFD_SH_CODE_PAGE_TAG   (~(uint64_t)(VKFD_SH_CODE_PAGE_SIZE - 1) | 3)

typedef struct VkfdShCodePage {
    uint64_t va;
    VkfdShInsn *slot[VKFD_SH_CODE_SLOTS];
} VkfdShCodePage;

typedef struct VkfdShCode {
    GHashTable *pages;          /* &page->va -> page */
    VkfdShCodePage *last;
    unsigned npages;
    uint64_t decoded;           /* instructions decoded (traces) */
    uint64_t pages_made;        /* cache pages allocated (the budget) */
} VkfdShCode;

/* The memory fast path's cache of VRAM pages (vkfd-sh.c) */
#define VKFD_SH_XLAT            16

typedef struct VkfdShXlat {
    uint64_t tag;               /* VA page + 1; 0: empty */
    uint8_t *host;              /* the page's bytes */
    uint64_t vram;              /* its offset in VRAM */
    bool write;                 /* translated for writing */
} VkfdShXlat;

/* The largest workgroup: 1024 work-items, 16 waves */
#define VKFD_SH_MAX_WG_ITEMS    1024
#define VKFD_SH_MAX_WG_WAVES    (VKFD_SH_MAX_WG_ITEMS / VKFD_SH_WAVE_SIZE)
#define VKFD_SH_MAX_USER_SGPRS  16

/* A workgroup being run: its waves, their VGPRs, its LDS */
struct VkfdShGroup {
    uint32_t id[3];
    uint32_t size[3];           /* work-items per dimension (partial) */
    uint32_t nwaves;
    uint32_t live;              /* waves not done */
    uint32_t at_barrier;        /* live waves waiting at s_barrier */
    uint32_t cur;               /* the wave whose turn it is */
    VkfdWave waves[VKFD_SH_MAX_WG_WAVES];
};

/*
 * A kernel dispatch under way on a queue (q->sh).  Everything that the
 * packet and the kernel descriptor decide is computed once, when it
 * starts; workgroups then run one at a time, in order of their linear id.
 */
struct VkfdShDispatch {
    VkfdState *s;
    VkfdQueue *q;
    uint32_t ctx_id;

    /* the packet and the descriptor */
    uint64_t packet_va;
    uint32_t packet_dw0;        /* its header and setup, for errors */
    uint64_t kobj;
    uint64_t entry;             /* the first instruction */
    uint64_t kernarg;
    uint64_t queue_va;          /* the amd_queue_t (AQL), 0 if none */
    uint64_t dispatch_id;
    uint32_t grid[3];
    uint32_t wg[3];
    uint32_t ngroups[3];
    uint32_t start[3];          /* PM4: COMPUTE_START_X/Y/Z */
    uint64_t total_groups;
    uint64_t next_group;        /* linear id of the next group to start */
    /*
     * Work besides executing instructions (starting workgroups, decoding)
     * that the queue's budget has still to pay, in wave-instructions
     */
    uint64_t debt;
    uint32_t max_waves;         /* of a whole workgroup */
    uint32_t rsrc1, rsrc2, rsrc3;
    uint16_t props;             /* kernel_code_properties */
    uint16_t num_sgprs, num_vgprs, accum_offset;
    uint32_t mode;              /* MODE at wave start */
    uint32_t lds_size;          /* bytes per workgroup */
    uint32_t private_size;      /* bytes per work-item */
    uint32_t scratch_wave_bytes;    /* scratch per wave */
    uint64_t scratch_base, scratch_size;
    bool scratch_short;         /* the queue's scratch is too small */
    bool scratch_asked;         /* ROCr was asked for more */
    bool scratch_once;          /* single-use: give it back when done */
    uint64_t inactive_sig;      /* ROCr's queue_inactive_signal, or 0 */
    uint32_t amdq_err;          /* why setup refused, in ROCr's codes */
    bool ready;                 /* the SGPRs are known: waves may start */
    uint32_t user_sgpr_count;
    uint32_t user_sgprs[VKFD_SH_MAX_USER_SGPRS];
    /* which system SGPRs follow the user ones, and the VGPR ids */
    bool sgpr_wg_id[3], sgpr_wg_info, sgpr_wave_offset;

    /* the group being run, and its storage (reused by every group) */
    bool group_live;
    VkfdShGroup group;
    uint32_t (*vgprs)[VKFD_SH_WAVE_SIZE];
    uint8_t *lds;

    VkfdShXlat xlat[VKFD_SH_XLAT];

    /* the instruction executing, for faults */
    const VkfdShInsn *cur;
    uint64_t insns;             /* wave-instructions executed */
    VkfdShCode code;
    bool code_flush;            /* s_icache_inv: empty it after the turn */
};

/* vkfd-sh-decode.c */
void vkfd_sh_code_init(VkfdShCode *c);
void vkfd_sh_code_free(VkfdShCode *c);
void vkfd_sh_code_flush(VkfdShCode *c);
const VkfdShInsn *vkfd_sh_decode_miss(VkfdWave *w);

/* vkfd-sh.c: fault at an instruction that could not be decoded */
bool vkfd_sh_fault_decode(VkfdWave *w, VkfdShFault fault, uint64_t va,
                          const uint32_t *dw, const char *why);

#endif /* HW_KFD_VKFD_SH_CORE_H */
