/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vkfd: the driver's tracepoints
 *
 * One event for each step of a request on the driver's side: an ioctl
 * enters and returns, a scheduler-ring command is written and its fence
 * comes back, an IH entry is dispatched, an event is signalled.  They sit
 * in tracefs under events/vkfd/ and scripts/vkfd-trace-diagram reads them
 * next to the device's own trace events.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vkfd

#if !defined(_VKFD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VKFD_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

TRACE_EVENT(vkfd_ioctl_entry,
	    TP_PROTO(pid_t tgid, unsigned int nr, const char *name,
		     unsigned int size),
	    TP_ARGS(tgid, nr, name, size),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(unsigned int, nr)
			     __string(name, name)
			     __field(unsigned int, size)),
	    TP_fast_assign(__entry->tgid = tgid;
			   __entry->nr = nr;
			   __assign_str(name, name);
			   __entry->size = size;),
	    TP_printk("tgid=%d nr=0x%02x name=%s size=%u",
		      __entry->tgid, __entry->nr, __get_str(name),
		      __entry->size)
);

TRACE_EVENT(vkfd_ioctl_result,
	    TP_PROTO(pid_t tgid, unsigned int nr, const char *name, int ret),
	    TP_ARGS(tgid, nr, name, ret),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(unsigned int, nr)
			     __string(name, name)
			     __field(int, ret)),
	    TP_fast_assign(__entry->tgid = tgid;
			   __entry->nr = nr;
			   __assign_str(name, name);
			   __entry->ret = ret;),
	    TP_printk("tgid=%d nr=0x%02x name=%s ret=%d",
		      __entry->tgid, __entry->nr, __get_str(name), __entry->ret)
);

TRACE_EVENT(vkfd_sched_submit,
	    TP_PROTO(u32 gpu_id, u8 opcode, u32 ctx_id, u32 seq),
	    TP_ARGS(gpu_id, opcode, ctx_id, seq),
	    TP_STRUCT__entry(__field(u32, gpu_id)
			     __field(u8, opcode)
			     __field(u32, ctx_id)
			     __field(u32, seq)),
	    TP_fast_assign(__entry->gpu_id = gpu_id;
			   __entry->opcode = opcode;
			   __entry->ctx_id = ctx_id;
			   __entry->seq = seq;),
	    TP_printk("gpu_id=0x%x opcode=%u ctx=%u seq=%u",
		      __entry->gpu_id, __entry->opcode, __entry->ctx_id,
		      __entry->seq)
);

TRACE_EVENT(vkfd_sched_complete,
	    TP_PROTO(u32 gpu_id, u8 opcode, u32 ctx_id, u32 seq, u32 status,
		     int ret),
	    TP_ARGS(gpu_id, opcode, ctx_id, seq, status, ret),
	    TP_STRUCT__entry(__field(u32, gpu_id)
			     __field(u8, opcode)
			     __field(u32, ctx_id)
			     __field(u32, seq)
			     __field(u32, status)
			     __field(int, ret)),
	    TP_fast_assign(__entry->gpu_id = gpu_id;
			   __entry->opcode = opcode;
			   __entry->ctx_id = ctx_id;
			   __entry->seq = seq;
			   __entry->status = status;
			   __entry->ret = ret;),
	    TP_printk("gpu_id=0x%x opcode=%u ctx=%u seq=%u status=0x%x ret=%d",
		      __entry->gpu_id, __entry->opcode, __entry->ctx_id,
		      __entry->seq, __entry->status, __entry->ret)
);

TRACE_EVENT(vkfd_ih_dispatch,
	    TP_PROTO(u32 gpu_id, u32 source, u32 ctx_id, u32 data, u32 doorbell,
		     u32 seq, bool known),
	    TP_ARGS(gpu_id, source, ctx_id, data, doorbell, seq, known),
	    TP_STRUCT__entry(__field(u32, gpu_id)
			     __field(u32, source)
			     __field(u32, ctx_id)
			     __field(u32, data)
			     __field(u32, doorbell)
			     __field(u32, seq)
			     __field(bool, known)),
	    TP_fast_assign(__entry->gpu_id = gpu_id;
			   __entry->source = source;
			   __entry->ctx_id = ctx_id;
			   __entry->data = data;
			   __entry->doorbell = doorbell;
			   __entry->seq = seq;
			   __entry->known = known;),
	    TP_printk("gpu_id=0x%x source=%u ctx=%u data=0x%x doorbell=0x%x seq=%u known=%d",
		      __entry->gpu_id, __entry->source, __entry->ctx_id,
		      __entry->data, __entry->doorbell, __entry->seq,
		      __entry->known)
);

TRACE_EVENT(vkfd_event_signal,
	    TP_PROTO(pid_t tgid, u32 event_id, u32 type),
	    TP_ARGS(tgid, event_id, type),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, event_id)
			     __field(u32, type)),
	    TP_fast_assign(__entry->tgid = tgid;
			   __entry->event_id = event_id;
			   __entry->type = type;),
	    TP_printk("tgid=%d event_id=%u type=%u",
		      __entry->tgid, __entry->event_id, __entry->type)
);

#endif /* _VKFD_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vkfd_trace
#include <trace/define_trace.h>
