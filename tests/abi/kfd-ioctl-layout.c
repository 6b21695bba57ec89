/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layout check of include/uapi/linux/kfd_ioctl.h against the amdkfd 1.19
 * ABI (x86_64): sizes and field offsets of every argument struct and the
 * full value of every ioctl command.  The numbers below are written out by
 * hand from docs (shared/reference/kfd-abi.md, sections 1.2 and 1.3), not
 * derived from the header, so a slip in either shows up.
 *
 * Everything is checked at compile time with _Static_assert; the program
 * also repeats the main checks at run time and prints TAP, so it can be run
 * as a test:
 *
 *   cc -I include -Wall -Werror -o kfdlayout tests/abi/kfd-ioctl-layout.c
 *   ./kfdlayout
 *
 * The header is included by its path under include/ so that the system's
 * own <linux/kfd_ioctl.h> (often an older version) can never be picked.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "uapi/linux/kfd_ioctl.h"

#if !defined(__x86_64__)
#error "the expected numbers in this file are for x86_64"
#endif

#define SIZE(s, n) \
	_Static_assert(sizeof(struct s) == (n), "sizeof(struct " #s ") != " #n)
#define OFF(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), \
		       "offsetof(struct " #s ", " #f ") != " #n)
#define FIELD_SIZE(s, f, n) \
	_Static_assert(sizeof(((struct s *)0)->f) == (n), \
		       "sizeof(struct " #s "." #f ") != " #n)
#define CMD(name, v) \
	_Static_assert((unsigned int)(name) == (v), #name " != " #v)

/* It must be our header, at the right version. */
_Static_assert(KFD_IOCTL_MAJOR_VERSION == 1, "major version");
_Static_assert(KFD_IOCTL_MINOR_VERSION == 19, "minor version");
#ifndef VKFD_UAPI_LINUX_KFD_IOCTL_H
#error "not the vkfd kfd_ioctl.h"
#endif

/* --- struct layouts (section 1.3) --- */

SIZE(kfd_ioctl_get_version_args, 8);
OFF(kfd_ioctl_get_version_args, major_version, 0);
OFF(kfd_ioctl_get_version_args, minor_version, 4);

SIZE(kfd_ioctl_create_queue_args, 96);
OFF(kfd_ioctl_create_queue_args, ring_base_address, 0);
OFF(kfd_ioctl_create_queue_args, write_pointer_address, 8);
OFF(kfd_ioctl_create_queue_args, read_pointer_address, 16);
OFF(kfd_ioctl_create_queue_args, doorbell_offset, 24);
OFF(kfd_ioctl_create_queue_args, ring_size, 32);
OFF(kfd_ioctl_create_queue_args, gpu_id, 36);
OFF(kfd_ioctl_create_queue_args, queue_type, 40);
OFF(kfd_ioctl_create_queue_args, queue_percentage, 44);
OFF(kfd_ioctl_create_queue_args, queue_priority, 48);
OFF(kfd_ioctl_create_queue_args, queue_id, 52);
OFF(kfd_ioctl_create_queue_args, eop_buffer_address, 56);
OFF(kfd_ioctl_create_queue_args, eop_buffer_size, 64);
OFF(kfd_ioctl_create_queue_args, ctx_save_restore_address, 72);
OFF(kfd_ioctl_create_queue_args, ctx_save_restore_size, 80);
OFF(kfd_ioctl_create_queue_args, ctl_stack_size, 84);
OFF(kfd_ioctl_create_queue_args, sdma_engine_id, 88);
OFF(kfd_ioctl_create_queue_args, pad, 92);

SIZE(kfd_ioctl_destroy_queue_args, 8);
OFF(kfd_ioctl_destroy_queue_args, queue_id, 0);
OFF(kfd_ioctl_destroy_queue_args, pad, 4);

SIZE(kfd_ioctl_update_queue_args, 24);
OFF(kfd_ioctl_update_queue_args, ring_base_address, 0);
OFF(kfd_ioctl_update_queue_args, queue_id, 8);
OFF(kfd_ioctl_update_queue_args, ring_size, 12);
OFF(kfd_ioctl_update_queue_args, queue_percentage, 16);
OFF(kfd_ioctl_update_queue_args, queue_priority, 20);

SIZE(kfd_ioctl_set_memory_policy_args, 32);
OFF(kfd_ioctl_set_memory_policy_args, alternate_aperture_base, 0);
OFF(kfd_ioctl_set_memory_policy_args, alternate_aperture_size, 8);
OFF(kfd_ioctl_set_memory_policy_args, gpu_id, 16);
OFF(kfd_ioctl_set_memory_policy_args, default_policy, 20);
OFF(kfd_ioctl_set_memory_policy_args, alternate_policy, 24);
OFF(kfd_ioctl_set_memory_policy_args, misc_process_flag, 28);

SIZE(kfd_ioctl_get_clock_counters_args, 40);
OFF(kfd_ioctl_get_clock_counters_args, gpu_clock_counter, 0);
OFF(kfd_ioctl_get_clock_counters_args, cpu_clock_counter, 8);
OFF(kfd_ioctl_get_clock_counters_args, system_clock_counter, 16);
OFF(kfd_ioctl_get_clock_counters_args, system_clock_freq, 24);
OFF(kfd_ioctl_get_clock_counters_args, gpu_id, 32);
OFF(kfd_ioctl_get_clock_counters_args, pad, 36);

SIZE(kfd_process_device_apertures, 56);
OFF(kfd_process_device_apertures, lds_base, 0);
OFF(kfd_process_device_apertures, lds_limit, 8);
OFF(kfd_process_device_apertures, scratch_base, 16);
OFF(kfd_process_device_apertures, scratch_limit, 24);
OFF(kfd_process_device_apertures, gpuvm_base, 32);
OFF(kfd_process_device_apertures, gpuvm_limit, 40);
OFF(kfd_process_device_apertures, gpu_id, 48);
OFF(kfd_process_device_apertures, pad, 52);

_Static_assert(NUM_OF_SUPPORTED_GPUS == 7, "NUM_OF_SUPPORTED_GPUS");
SIZE(kfd_ioctl_get_process_apertures_args, 400);
OFF(kfd_ioctl_get_process_apertures_args, process_apertures, 0);
OFF(kfd_ioctl_get_process_apertures_args, process_apertures[6], 336);
OFF(kfd_ioctl_get_process_apertures_args, num_of_nodes, 392);
OFF(kfd_ioctl_get_process_apertures_args, pad, 396);

SIZE(kfd_ioctl_get_process_apertures_new_args, 16);
OFF(kfd_ioctl_get_process_apertures_new_args, kfd_process_device_apertures_ptr, 0);
OFF(kfd_ioctl_get_process_apertures_new_args, num_of_nodes, 8);
OFF(kfd_ioctl_get_process_apertures_new_args, pad, 12);

SIZE(kfd_ioctl_dbg_register_args, 8);
OFF(kfd_ioctl_dbg_register_args, gpu_id, 0);
SIZE(kfd_ioctl_dbg_unregister_args, 8);
OFF(kfd_ioctl_dbg_unregister_args, gpu_id, 0);
SIZE(kfd_ioctl_dbg_address_watch_args, 16);
OFF(kfd_ioctl_dbg_address_watch_args, content_ptr, 0);
OFF(kfd_ioctl_dbg_address_watch_args, gpu_id, 8);
OFF(kfd_ioctl_dbg_address_watch_args, buf_size_in_bytes, 12);
SIZE(kfd_ioctl_dbg_wave_control_args, 16);
OFF(kfd_ioctl_dbg_wave_control_args, content_ptr, 0);
OFF(kfd_ioctl_dbg_wave_control_args, gpu_id, 8);
OFF(kfd_ioctl_dbg_wave_control_args, buf_size_in_bytes, 12);

SIZE(kfd_ioctl_create_event_args, 32);
OFF(kfd_ioctl_create_event_args, event_page_offset, 0);
OFF(kfd_ioctl_create_event_args, event_trigger_data, 8);
OFF(kfd_ioctl_create_event_args, event_type, 12);
OFF(kfd_ioctl_create_event_args, auto_reset, 16);
OFF(kfd_ioctl_create_event_args, node_id, 20);
OFF(kfd_ioctl_create_event_args, event_id, 24);
OFF(kfd_ioctl_create_event_args, event_slot_index, 28);

SIZE(kfd_ioctl_destroy_event_args, 8);
OFF(kfd_ioctl_destroy_event_args, event_id, 0);
SIZE(kfd_ioctl_set_event_args, 8);
OFF(kfd_ioctl_set_event_args, event_id, 0);
SIZE(kfd_ioctl_reset_event_args, 8);
OFF(kfd_ioctl_reset_event_args, event_id, 0);

SIZE(kfd_memory_exception_failure, 16);
SIZE(kfd_hsa_memory_exception_data, 32);
OFF(kfd_hsa_memory_exception_data, failure.NotPresent, 0);
OFF(kfd_hsa_memory_exception_data, failure.ReadOnly, 4);
OFF(kfd_hsa_memory_exception_data, failure.NoExecute, 8);
OFF(kfd_hsa_memory_exception_data, failure.imprecise, 12);
OFF(kfd_hsa_memory_exception_data, va, 16);
OFF(kfd_hsa_memory_exception_data, gpu_id, 24);
OFF(kfd_hsa_memory_exception_data, ErrorType, 28);

SIZE(kfd_hsa_hw_exception_data, 16);
OFF(kfd_hsa_hw_exception_data, reset_type, 0);
OFF(kfd_hsa_hw_exception_data, reset_cause, 4);
OFF(kfd_hsa_hw_exception_data, memory_lost, 8);
OFF(kfd_hsa_hw_exception_data, gpu_id, 12);

SIZE(kfd_hsa_signal_event_data, 8);
OFF(kfd_hsa_signal_event_data, last_event_age, 0);

SIZE(kfd_event_data, 48);
OFF(kfd_event_data, memory_exception_data, 0);
OFF(kfd_event_data, memory_exception_data.va, 16);
OFF(kfd_event_data, memory_exception_data.gpu_id, 24);
OFF(kfd_event_data, memory_exception_data.ErrorType, 28);
OFF(kfd_event_data, hw_exception_data, 0);
OFF(kfd_event_data, hw_exception_data.gpu_id, 12);
OFF(kfd_event_data, signal_event_data.last_event_age, 0);
OFF(kfd_event_data, kfd_event_data_ext, 32);
OFF(kfd_event_data, event_id, 40);
OFF(kfd_event_data, pad, 44);

SIZE(kfd_ioctl_wait_events_args, 24);
OFF(kfd_ioctl_wait_events_args, events_ptr, 0);
OFF(kfd_ioctl_wait_events_args, num_events, 8);
OFF(kfd_ioctl_wait_events_args, wait_for_all, 12);
OFF(kfd_ioctl_wait_events_args, timeout, 16);
OFF(kfd_ioctl_wait_events_args, wait_result, 20);

SIZE(kfd_ioctl_set_scratch_backing_va_args, 16);
OFF(kfd_ioctl_set_scratch_backing_va_args, va_addr, 0);
OFF(kfd_ioctl_set_scratch_backing_va_args, gpu_id, 8);

SIZE(kfd_ioctl_get_tile_config_args, 40);
OFF(kfd_ioctl_get_tile_config_args, tile_config_ptr, 0);
OFF(kfd_ioctl_get_tile_config_args, macro_tile_config_ptr, 8);
OFF(kfd_ioctl_get_tile_config_args, num_tile_configs, 16);
OFF(kfd_ioctl_get_tile_config_args, num_macro_tile_configs, 20);
OFF(kfd_ioctl_get_tile_config_args, gpu_id, 24);
OFF(kfd_ioctl_get_tile_config_args, gb_addr_config, 28);
OFF(kfd_ioctl_get_tile_config_args, num_banks, 32);
OFF(kfd_ioctl_get_tile_config_args, num_ranks, 36);

SIZE(kfd_ioctl_set_trap_handler_args, 24);
OFF(kfd_ioctl_set_trap_handler_args, tba_addr, 0);
OFF(kfd_ioctl_set_trap_handler_args, tma_addr, 8);
OFF(kfd_ioctl_set_trap_handler_args, gpu_id, 16);

SIZE(kfd_ioctl_acquire_vm_args, 8);
OFF(kfd_ioctl_acquire_vm_args, drm_fd, 0);
OFF(kfd_ioctl_acquire_vm_args, gpu_id, 4);

SIZE(kfd_ioctl_alloc_memory_of_gpu_args, 40);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, va_addr, 0);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, size, 8);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, handle, 16);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, mmap_offset, 24);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, gpu_id, 32);
OFF(kfd_ioctl_alloc_memory_of_gpu_args, flags, 36);

SIZE(kfd_ioctl_free_memory_of_gpu_args, 8);
OFF(kfd_ioctl_free_memory_of_gpu_args, handle, 0);

SIZE(kfd_ioctl_map_memory_to_gpu_args, 24);
OFF(kfd_ioctl_map_memory_to_gpu_args, handle, 0);
OFF(kfd_ioctl_map_memory_to_gpu_args, device_ids_array_ptr, 8);
OFF(kfd_ioctl_map_memory_to_gpu_args, n_devices, 16);
OFF(kfd_ioctl_map_memory_to_gpu_args, n_success, 20);

SIZE(kfd_ioctl_unmap_memory_from_gpu_args, 24);
OFF(kfd_ioctl_unmap_memory_from_gpu_args, handle, 0);
OFF(kfd_ioctl_unmap_memory_from_gpu_args, device_ids_array_ptr, 8);
OFF(kfd_ioctl_unmap_memory_from_gpu_args, n_devices, 16);
OFF(kfd_ioctl_unmap_memory_from_gpu_args, n_success, 20);

SIZE(kfd_ioctl_set_cu_mask_args, 16);
OFF(kfd_ioctl_set_cu_mask_args, queue_id, 0);
OFF(kfd_ioctl_set_cu_mask_args, num_cu_mask, 4);
OFF(kfd_ioctl_set_cu_mask_args, cu_mask_ptr, 8);

SIZE(kfd_ioctl_get_queue_wave_state_args, 24);
OFF(kfd_ioctl_get_queue_wave_state_args, ctl_stack_address, 0);
OFF(kfd_ioctl_get_queue_wave_state_args, ctl_stack_used_size, 8);
OFF(kfd_ioctl_get_queue_wave_state_args, save_area_used_size, 12);
OFF(kfd_ioctl_get_queue_wave_state_args, queue_id, 16);

SIZE(kfd_ioctl_get_dmabuf_info_args, 32);
OFF(kfd_ioctl_get_dmabuf_info_args, size, 0);
OFF(kfd_ioctl_get_dmabuf_info_args, metadata_ptr, 8);
OFF(kfd_ioctl_get_dmabuf_info_args, metadata_size, 16);
OFF(kfd_ioctl_get_dmabuf_info_args, gpu_id, 20);
OFF(kfd_ioctl_get_dmabuf_info_args, flags, 24);
OFF(kfd_ioctl_get_dmabuf_info_args, dmabuf_fd, 28);

SIZE(kfd_ioctl_import_dmabuf_args, 24);
OFF(kfd_ioctl_import_dmabuf_args, va_addr, 0);
OFF(kfd_ioctl_import_dmabuf_args, handle, 8);
OFF(kfd_ioctl_import_dmabuf_args, gpu_id, 16);
OFF(kfd_ioctl_import_dmabuf_args, dmabuf_fd, 20);

SIZE(kfd_ioctl_export_dmabuf_args, 16);
OFF(kfd_ioctl_export_dmabuf_args, handle, 0);
OFF(kfd_ioctl_export_dmabuf_args, flags, 8);
OFF(kfd_ioctl_export_dmabuf_args, dmabuf_fd, 12);

SIZE(kfd_ioctl_alloc_queue_gws_args, 16);
OFF(kfd_ioctl_alloc_queue_gws_args, queue_id, 0);
OFF(kfd_ioctl_alloc_queue_gws_args, num_gws, 4);
OFF(kfd_ioctl_alloc_queue_gws_args, first_gws, 8);
OFF(kfd_ioctl_alloc_queue_gws_args, pad, 12);

SIZE(kfd_ioctl_smi_events_args, 8);
OFF(kfd_ioctl_smi_events_args, gpuid, 0);
OFF(kfd_ioctl_smi_events_args, anon_fd, 4);

SIZE(kfd_ioctl_svm_attribute, 8);
OFF(kfd_ioctl_svm_attribute, type, 0);
OFF(kfd_ioctl_svm_attribute, value, 4);
SIZE(kfd_ioctl_svm_args, 24);
OFF(kfd_ioctl_svm_args, start_addr, 0);
OFF(kfd_ioctl_svm_args, size, 8);
OFF(kfd_ioctl_svm_args, op, 16);
OFF(kfd_ioctl_svm_args, nattr, 20);
OFF(kfd_ioctl_svm_args, attrs, 24);

SIZE(kfd_ioctl_set_xnack_mode_args, 4);
OFF(kfd_ioctl_set_xnack_mode_args, xnack_enabled, 0);

SIZE(kfd_ioctl_criu_args, 56);
OFF(kfd_ioctl_criu_args, devices, 0);
OFF(kfd_ioctl_criu_args, bos, 8);
OFF(kfd_ioctl_criu_args, priv_data, 16);
OFF(kfd_ioctl_criu_args, priv_data_size, 24);
OFF(kfd_ioctl_criu_args, num_devices, 32);
OFF(kfd_ioctl_criu_args, num_bos, 36);
OFF(kfd_ioctl_criu_args, num_objects, 40);
OFF(kfd_ioctl_criu_args, pid, 44);
OFF(kfd_ioctl_criu_args, op, 48);
SIZE(kfd_criu_device_bucket, 16);
SIZE(kfd_criu_bo_bucket, 48);
OFF(kfd_criu_bo_bucket, gpu_id, 32);
OFF(kfd_criu_bo_bucket, dmabuf_fd, 40);

SIZE(kfd_ioctl_get_available_memory_args, 16);
OFF(kfd_ioctl_get_available_memory_args, available, 0);
OFF(kfd_ioctl_get_available_memory_args, gpu_id, 8);
OFF(kfd_ioctl_get_available_memory_args, pad, 12);

SIZE(kfd_ioctl_runtime_enable_args, 16);
OFF(kfd_ioctl_runtime_enable_args, r_debug, 0);
OFF(kfd_ioctl_runtime_enable_args, mode_mask, 8);
OFF(kfd_ioctl_runtime_enable_args, capabilities_mask, 12);
SIZE(kfd_runtime_info, 16);

/* Debugger records and the DBG_TRAP per-op structs */
SIZE(kfd_dbg_device_info_entry, 120);
OFF(kfd_dbg_device_info_entry, gpu_id, 56);
OFF(kfd_dbg_device_info_entry, debug_prop, 116);
SIZE(kfd_queue_snapshot_entry, 64);
OFF(kfd_queue_snapshot_entry, queue_id, 40);
OFF(kfd_queue_snapshot_entry, reserved, 60);
SIZE(kfd_context_save_area_header, 40);
OFF(kfd_context_save_area_header, debug_offset, 16);
OFF(kfd_context_save_area_header, err_payload_addr, 24);
OFF(kfd_context_save_area_header, err_event_id, 32);

SIZE(kfd_ioctl_dbg_trap_enable_args, 24);
SIZE(kfd_ioctl_dbg_trap_send_runtime_event_args, 16);
SIZE(kfd_ioctl_dbg_trap_set_exceptions_enabled_args, 8);
SIZE(kfd_ioctl_dbg_trap_set_wave_launch_override_args, 16);
SIZE(kfd_ioctl_dbg_trap_set_wave_launch_mode_args, 8);
SIZE(kfd_ioctl_dbg_trap_suspend_queues_args, 24);
SIZE(kfd_ioctl_dbg_trap_resume_queues_args, 16);
SIZE(kfd_ioctl_dbg_trap_set_node_address_watch_args, 24);
SIZE(kfd_ioctl_dbg_trap_clear_node_address_watch_args, 8);
SIZE(kfd_ioctl_dbg_trap_set_flags_args, 8);
SIZE(kfd_ioctl_dbg_trap_query_debug_event_args, 16);
SIZE(kfd_ioctl_dbg_trap_query_exception_info_args, 24);
SIZE(kfd_ioctl_dbg_trap_queue_snapshot_args, 24);
SIZE(kfd_ioctl_dbg_trap_device_snapshot_args, 24);

SIZE(kfd_ioctl_dbg_trap_args, 32);
OFF(kfd_ioctl_dbg_trap_args, pid, 0);
OFF(kfd_ioctl_dbg_trap_args, op, 4);
OFF(kfd_ioctl_dbg_trap_args, enable, 8);
OFF(kfd_ioctl_dbg_trap_args, device_snapshot.entry_size, 28);
FIELD_SIZE(kfd_ioctl_dbg_trap_args, enable, 24);

/* --- command values (section 1.2) --- */

CMD(AMDKFD_IOC_GET_VERSION,			0x80084b01);
CMD(AMDKFD_IOC_CREATE_QUEUE,			0xc0604b02);
CMD(AMDKFD_IOC_DESTROY_QUEUE,			0xc0084b03);
CMD(AMDKFD_IOC_SET_MEMORY_POLICY,		0x40204b04);
CMD(AMDKFD_IOC_GET_CLOCK_COUNTERS,		0xc0284b05);
CMD(AMDKFD_IOC_GET_PROCESS_APERTURES,		0x81904b06);
CMD(AMDKFD_IOC_UPDATE_QUEUE,			0x40184b07);
CMD(AMDKFD_IOC_CREATE_EVENT,			0xc0204b08);
CMD(AMDKFD_IOC_DESTROY_EVENT,			0x40084b09);
CMD(AMDKFD_IOC_SET_EVENT,			0x40084b0a);
CMD(AMDKFD_IOC_RESET_EVENT,			0x40084b0b);
CMD(AMDKFD_IOC_WAIT_EVENTS,			0xc0184b0c);
CMD(AMDKFD_IOC_DBG_REGISTER_DEPRECATED,		0x40084b0d);
CMD(AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED,	0x40084b0e);
CMD(AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED,	0x40104b0f);
CMD(AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED,	0x40104b10);
CMD(AMDKFD_IOC_SET_SCRATCH_BACKING_VA,		0xc0104b11);
CMD(AMDKFD_IOC_GET_TILE_CONFIG,			0xc0284b12);
CMD(AMDKFD_IOC_SET_TRAP_HANDLER,		0x40184b13);
CMD(AMDKFD_IOC_GET_PROCESS_APERTURES_NEW,	0xc0104b14);
CMD(AMDKFD_IOC_ACQUIRE_VM,			0x40084b15);
CMD(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU,		0xc0284b16);
CMD(AMDKFD_IOC_FREE_MEMORY_OF_GPU,		0x40084b17);
CMD(AMDKFD_IOC_MAP_MEMORY_TO_GPU,		0xc0184b18);
CMD(AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU,		0xc0184b19);
CMD(AMDKFD_IOC_SET_CU_MASK,			0x40104b1a);
CMD(AMDKFD_IOC_GET_QUEUE_WAVE_STATE,		0xc0184b1b);
CMD(AMDKFD_IOC_GET_DMABUF_INFO,			0xc0204b1c);
CMD(AMDKFD_IOC_IMPORT_DMABUF,			0xc0184b1d);
CMD(AMDKFD_IOC_ALLOC_QUEUE_GWS,			0xc0104b1e);
CMD(AMDKFD_IOC_SMI_EVENTS,			0xc0084b1f);
CMD(AMDKFD_IOC_SVM,				0xc0184b20);
CMD(AMDKFD_IOC_SET_XNACK_MODE,			0xc0044b21);
CMD(AMDKFD_IOC_CRIU_OP,				0xc0384b22);
CMD(AMDKFD_IOC_AVAILABLE_MEMORY,		0xc0104b23);
CMD(AMDKFD_IOC_EXPORT_DMABUF,			0xc0104b24);
CMD(AMDKFD_IOC_RUNTIME_ENABLE,			0xc0104b25);
CMD(AMDKFD_IOC_DBG_TRAP,			0xc0204b26);
CMD(AMDKFD_IOC_CREATE_PROCESS,			0x00004b27);

_Static_assert(AMDKFD_COMMAND_START == 0x01, "AMDKFD_COMMAND_START");
_Static_assert(AMDKFD_COMMAND_END == 0x28, "AMDKFD_COMMAND_END");

/* --- constants (sections 1.3, 2.2, 5, 6) --- */

_Static_assert(KFD_IOC_QUEUE_TYPE_COMPUTE == 0 &&
	       KFD_IOC_QUEUE_TYPE_SDMA == 1 &&
	       KFD_IOC_QUEUE_TYPE_COMPUTE_AQL == 2 &&
	       KFD_IOC_QUEUE_TYPE_SDMA_XGMI == 3 &&
	       KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID == 4, "queue types");
_Static_assert(KFD_MAX_QUEUE_PERCENTAGE == 100 &&
	       KFD_MAX_QUEUE_PRIORITY == 15 &&
	       KFD_MIN_QUEUE_RING_SIZE == 1024, "queue limits");
_Static_assert(KFD_IOC_CACHE_POLICY_COHERENT == 0 &&
	       KFD_IOC_CACHE_POLICY_NONCOHERENT == 1, "cache policies");
_Static_assert(KFD_PROC_FLAG_MFMA_HIGH_PRECISION == 1, "misc process flag");
_Static_assert(KFD_IOC_EVENT_SIGNAL == 0 &&
	       KFD_IOC_EVENT_NODECHANGE == 1 &&
	       KFD_IOC_EVENT_DEVICESTATECHANGE == 2 &&
	       KFD_IOC_EVENT_HW_EXCEPTION == 3 &&
	       KFD_IOC_EVENT_SYSTEM_EVENT == 4 &&
	       KFD_IOC_EVENT_DEBUG_EVENT == 5 &&
	       KFD_IOC_EVENT_PROFILE_EVENT == 6 &&
	       KFD_IOC_EVENT_QUEUE_EVENT == 7 &&
	       KFD_IOC_EVENT_MEMORY == 8, "event types");
_Static_assert(KFD_IOC_WAIT_RESULT_COMPLETE == 0 &&
	       KFD_IOC_WAIT_RESULT_TIMEOUT == 1 &&
	       KFD_IOC_WAIT_RESULT_FAIL == 2, "wait results");
_Static_assert(KFD_SIGNAL_EVENT_LIMIT == 4096, "signal event limit");
_Static_assert(KFD_INVALID_FD == 0xffffffffu, "invalid fd");
_Static_assert(KFD_IOC_ALLOC_MEM_FLAGS_VRAM == 0x1 &&
	       KFD_IOC_ALLOC_MEM_FLAGS_GTT == 0x2 &&
	       KFD_IOC_ALLOC_MEM_FLAGS_USERPTR == 0x4 &&
	       KFD_IOC_ALLOC_MEM_FLAGS_DOORBELL == 0x8 &&
	       KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP == 0x10, "memory types");
_Static_assert((unsigned int)KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE == 0x80000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_EXECUTABLE == 0x40000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_PUBLIC == 0x20000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_NO_SUBSTITUTE == 0x10000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_AQL_QUEUE_MEM == 0x08000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_COHERENT == 0x04000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_UNCACHED == 0x02000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT == 0x01000000u &&
	       KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS == 0x00800000u,
	       "memory attributes");
/* Like the flags user space always had: int, so bit 31 sign-extends. */
_Static_assert((long long)KFD_IOC_ALLOC_MEM_FLAGS_WRITABLE < 0, "WRITABLE type");
_Static_assert(KFD_RUNTIME_ENABLE_MODE_ENABLE_MASK == 1 &&
	       KFD_RUNTIME_ENABLE_MODE_TTMP_SAVE_MASK == 2, "runtime enable");
_Static_assert(KFD_IOCTL_SVM_OP_SET_ATTR == 0 &&
	       KFD_IOCTL_SVM_OP_GET_ATTR == 1, "svm ops");
_Static_assert(KFD_IOC_DBG_TRAP_GET_DEVICE_SNAPSHOT == 14, "dbg trap ops");
_Static_assert(KFD_EC_MASK(EC_QUEUE_NEW) == 0x40000000ull, "EC mask");

/* --- run-time checks, TAP output --- */

struct cmd_check {
	const char *name;
	unsigned long cmd;	/* from the header */
	unsigned long want;	/* written out by hand */
	unsigned int nr, dir, size;
};

#define C(name, want, nr, dir, size) \
	{ #name, (unsigned long)(name), (want), (nr), (dir), (size) }

static const struct cmd_check cmds[] = {
	C(AMDKFD_IOC_GET_VERSION, 0x80084b01, 0x01, _IOC_READ, 8),
	C(AMDKFD_IOC_CREATE_QUEUE, 0xc0604b02, 0x02, _IOC_READ | _IOC_WRITE, 96),
	C(AMDKFD_IOC_SET_MEMORY_POLICY, 0x40204b04, 0x04, _IOC_WRITE, 32),
	C(AMDKFD_IOC_GET_PROCESS_APERTURES, 0x81904b06, 0x06, _IOC_READ, 400),
	C(AMDKFD_IOC_WAIT_EVENTS, 0xc0184b0c, 0x0c, _IOC_READ | _IOC_WRITE, 24),
	C(AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED, 0x40104b10, 0x10, _IOC_WRITE, 16),
	C(AMDKFD_IOC_ACQUIRE_VM, 0x40084b15, 0x15, _IOC_WRITE, 8),
	C(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, 0xc0284b16, 0x16, _IOC_READ | _IOC_WRITE, 40),
	C(AMDKFD_IOC_MAP_MEMORY_TO_GPU, 0xc0184b18, 0x18, _IOC_READ | _IOC_WRITE, 24),
	C(AMDKFD_IOC_SVM, 0xc0184b20, 0x20, _IOC_READ | _IOC_WRITE, 24),
	C(AMDKFD_IOC_CRIU_OP, 0xc0384b22, 0x22, _IOC_READ | _IOC_WRITE, 56),
	C(AMDKFD_IOC_DBG_TRAP, 0xc0204b26, 0x26, _IOC_READ | _IOC_WRITE, 32),
	C(AMDKFD_IOC_CREATE_PROCESS, 0x00004b27, 0x27, _IOC_NONE, 0),
};

static int test_no;
static int failures;

static void ok(int cond, const char *fmt, const char *what)
{
	test_no++;
	if (!cond)
		failures++;
	printf("%s %d - ", cond ? "ok" : "not ok", test_no);
	printf(fmt, what);
	putchar('\n');
}

int main(void)
{
	/* One ioctl number per nr in [START, END), none missing or doubled. */
	static const unsigned long all[] = {
		AMDKFD_IOC_GET_VERSION, AMDKFD_IOC_CREATE_QUEUE,
		AMDKFD_IOC_DESTROY_QUEUE, AMDKFD_IOC_SET_MEMORY_POLICY,
		AMDKFD_IOC_GET_CLOCK_COUNTERS, AMDKFD_IOC_GET_PROCESS_APERTURES,
		AMDKFD_IOC_UPDATE_QUEUE, AMDKFD_IOC_CREATE_EVENT,
		AMDKFD_IOC_DESTROY_EVENT, AMDKFD_IOC_SET_EVENT,
		AMDKFD_IOC_RESET_EVENT, AMDKFD_IOC_WAIT_EVENTS,
		AMDKFD_IOC_DBG_REGISTER_DEPRECATED,
		AMDKFD_IOC_DBG_UNREGISTER_DEPRECATED,
		AMDKFD_IOC_DBG_ADDRESS_WATCH_DEPRECATED,
		AMDKFD_IOC_DBG_WAVE_CONTROL_DEPRECATED,
		AMDKFD_IOC_SET_SCRATCH_BACKING_VA, AMDKFD_IOC_GET_TILE_CONFIG,
		AMDKFD_IOC_SET_TRAP_HANDLER,
		AMDKFD_IOC_GET_PROCESS_APERTURES_NEW, AMDKFD_IOC_ACQUIRE_VM,
		AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, AMDKFD_IOC_FREE_MEMORY_OF_GPU,
		AMDKFD_IOC_MAP_MEMORY_TO_GPU, AMDKFD_IOC_UNMAP_MEMORY_FROM_GPU,
		AMDKFD_IOC_SET_CU_MASK, AMDKFD_IOC_GET_QUEUE_WAVE_STATE,
		AMDKFD_IOC_GET_DMABUF_INFO, AMDKFD_IOC_IMPORT_DMABUF,
		AMDKFD_IOC_ALLOC_QUEUE_GWS, AMDKFD_IOC_SMI_EVENTS,
		AMDKFD_IOC_SVM, AMDKFD_IOC_SET_XNACK_MODE, AMDKFD_IOC_CRIU_OP,
		AMDKFD_IOC_AVAILABLE_MEMORY, AMDKFD_IOC_EXPORT_DMABUF,
		AMDKFD_IOC_RUNTIME_ENABLE, AMDKFD_IOC_DBG_TRAP,
		AMDKFD_IOC_CREATE_PROCESS,
	};
	const size_t ncmds = sizeof(cmds) / sizeof(cmds[0]);
	const size_t nall = sizeof(all) / sizeof(all[0]);
	int numbers_ok = nall == AMDKFD_COMMAND_END - AMDKFD_COMMAND_START;
	int magic_ok = 1;
	size_t i;

	for (i = 0; i < nall; i++) {
		if (_IOC_NR(all[i]) != AMDKFD_COMMAND_START + i)
			numbers_ok = 0;
		if (_IOC_TYPE(all[i]) != AMDKFD_IOCTL_BASE)
			magic_ok = 0;
	}

	printf("1..%zu\n", 2 * ncmds + 5);

	ok(KFD_IOCTL_MAJOR_VERSION == 1 && KFD_IOCTL_MINOR_VERSION == 19,
	   "interface version is %s", "1.19");
	ok(numbers_ok, "%s", "ioctl numbers cover 0x01..0x27 in order");
	ok(magic_ok, "%s", "every ioctl uses magic 'K'");
	ok(sizeof(struct kfd_ioctl_create_queue_args) == 96 &&
	   offsetof(struct kfd_ioctl_create_queue_args, sdma_engine_id) == 88,
	   "%s", "create_queue is 96 bytes with sdma_engine_id at 88");
	ok(sizeof(struct kfd_event_data) == 48 &&
	   offsetof(struct kfd_event_data, event_id) == 40,
	   "%s", "kfd_event_data is 48 bytes with event_id at 40");

	for (i = 0; i < ncmds; i++) {
		const struct cmd_check *c = &cmds[i];

		ok(c->cmd == c->want, "%s has the expected value", c->name);
		ok(_IOC_NR(c->cmd) == c->nr && _IOC_DIR(c->cmd) == c->dir &&
		   _IOC_SIZE(c->cmd) == c->size,
		   "%s decodes to the expected nr/dir/size", c->name);
	}

	return failures ? 1 : 0;
}
