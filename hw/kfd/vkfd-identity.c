/*
 * vkfd: a virtual AMD KFD device -- the GPU the device claims to be
 *
 * The identity registers tell the guest driver what to publish in the KFD
 * topology: the GFX target, the AMD PCI device id user space looks up,
 * the shader array shape, engine counts and clocks.  All of it comes from
 * QOM properties, checked here at realize so that the guest only ever sees
 * a shape a GFX9 GPU could have.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "vkfd.h"
#include "trace.h"

/*
 * The GFX9 targets Debian's libhsakmt 5.2.3 knows by device id, with one
 * device id of each from its table and the SDMA queue count amdkfd gives
 * that generation.  gfx909 is not in that table and is left out.
 */
typedef struct VkfdTarget {
    const char *name;
    uint32_t version;               /* major * 10000 + minor * 100 + step */
    uint16_t asic_id;
    uint8_t sdma_queues_per_engine;
} VkfdTarget;

static const VkfdTarget vkfd_targets[] = {
    { "gfx900", 90000, 0x6860, 2 },     /* Vega 10 */
    { "gfx902", 90002, 0x15dd, 2 },     /* Raven */
    { "gfx904", 90004, 0x69a0, 2 },     /* Vega 12 */
    { "gfx906", 90006, 0x66a1, 8 },     /* Vega 20 */
    { "gfx908", 90008, 0x738c, 8 },     /* Arcturus */
    { "gfx90a", 90010, 0x740f, 8 },     /* Aldebaran */
    { "gfx90c", 90012, 0x1636, 2 },     /* Renoir */
};

#define VKFD_DEFAULT_TARGET "gfx90a"

/*
 * "gfx" + major (decimal, one or two digits) + minor + stepping (one hex
 * digit each), as in the LLVM target names: gfx90a is 9.0.10.
 */
static bool vkfd_parse_target(const char *name, uint32_t *version)
{
    size_t len = strlen(name);
    unsigned major = 0, minor, step;
    size_t i;

    if (len < 6 || len > 7 || strncmp(name, "gfx", 3) || name[3] == '0') {
        return false;
    }
    for (i = 3; i < len - 2; i++) {
        if (!g_ascii_isdigit(name[i])) {
            return false;
        }
        major = major * 10 + name[i] - '0';
    }
    if (!g_ascii_isxdigit(name[len - 2]) || !g_ascii_isxdigit(name[len - 1])) {
        return false;
    }
    minor = g_ascii_xdigit_value(name[len - 2]);
    step = g_ascii_xdigit_value(name[len - 1]);
    *version = major * 10000 + minor * 100 + step;
    return true;
}

static const VkfdTarget *vkfd_find_target(const char *name, Error **errp)
{
    g_autoptr(GString) known = g_string_new(NULL);
    uint32_t version;
    size_t i;

    if (!vkfd_parse_target(name, &version)) {
        error_setg(errp, "vkfd: gfx-target '%s' is not a GFX target name "
                   "(gfx<major><minor><stepping>, e.g. gfx90a)", name);
        return NULL;
    }
    for (i = 0; i < ARRAY_SIZE(vkfd_targets); i++) {
        if (vkfd_targets[i].version == version) {
            return &vkfd_targets[i];
        }
    }
    for (i = 0; i < ARRAY_SIZE(vkfd_targets); i++) {
        g_string_append_printf(known, "%s%s", i ? ", " : "",
                               vkfd_targets[i].name);
    }
    error_setg(errp, "vkfd: gfx-target '%s' is not supported; the GFX9 "
               "targets libhsakmt 5.2.3 knows are %s", name, known->str);
    return NULL;
}

static bool vkfd_check_range(const char *prop, uint32_t val, uint32_t min,
                             uint32_t max, Error **errp)
{
    if (val < min || val > max) {
        error_setg(errp, "vkfd: %s must be in %u..%u, not %u",
                   prop, min, max, val);
        return false;
    }
    return true;
}

bool vkfd_identity_realize(VkfdState *s, Error **errp)
{
    const char *name = s->gfx_target ? s->gfx_target : VKFD_DEFAULT_TARGET;
    const VkfdTarget *t = vkfd_find_target(name, errp);
    uint32_t arrays;

    if (!t) {
        return false;
    }
    if (!vkfd_check_range("asic-id", s->asic_id, 0, 0xffff, errp) ||
        !vkfd_check_range("cu-count", s->num_cu, 1, VKFD_MAX_CU, errp) ||
        !vkfd_check_range("simd-per-cu", s->simd_per_cu, 1, 4, errp) ||
        !vkfd_check_range("shader-engines", s->num_se, 1, 8, errp) ||
        !vkfd_check_range("sh-per-se", s->sh_per_se, 1, 2, errp) ||
        !vkfd_check_range("max-waves-per-simd", s->max_waves_per_simd,
                          1, 16, errp) ||
        !vkfd_check_range("sdma-engines", s->num_sdma_engines, 1, 8, errp) ||
        !vkfd_check_range("sdma-queues-per-engine",
                          s->sdma_queues_per_engine, 0, 8, errp) ||
        !vkfd_check_range("cp-queues", s->num_cp_queues, 1, 32, errp) ||
        !vkfd_check_range("max-engine-clock", s->max_engine_clk_mhz,
                          100, 5000, errp) ||
        !vkfd_check_range("fw-version", s->fw_version, 1, 0x3ff, errp)) {
        return false;
    }

    /* Every shader array holds the same number of CUs, at most 16. */
    arrays = s->num_se * s->sh_per_se;
    if (s->num_cu % arrays) {
        error_setg(errp, "vkfd: cu-count %u does not divide into %u shader "
                   "engines x %u arrays", s->num_cu, s->num_se,
                   s->sh_per_se);
        return false;
    }
    if (s->num_cu / arrays > VKFD_MAX_CU_PER_SH) {
        error_setg(errp, "vkfd: %u CUs per shader array; GFX9 has at most %u",
                   s->num_cu / arrays, VKFD_MAX_CU_PER_SH);
        return false;
    }

    s->gfx_target_version = t->version;
    if (!s->asic_id) {
        s->asic_id = t->asic_id;
    }
    if (!s->sdma_queues_per_engine) {
        s->sdma_queues_per_engine = t->sdma_queues_per_engine;
    }
    trace_vkfd_identity(t->name, s->gfx_target_version, s->asic_id,
                        s->num_cu, s->num_se, s->sh_per_se);
    return true;
}

/* The GPU clock: the VM's virtual clock, in nanoseconds. */
uint64_t vkfd_clock_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}
