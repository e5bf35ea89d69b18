/*
 * floor.bpf.c — benchmark helper of layer 06-ebpf: empty programs on the
 * same hooks sysaudit uses (tp_btf/sys_enter, tp_btf/sys_exit).
 *
 * Builds on vmlinux.h like src/probe.bpf.c. Used only by bench_sysaudit.c to
 * measure the floor: what merely having a BPF program on the syscall
 * tracepoints costs (every syscall then takes the kernel's slower traced
 * entry/exit path), so the table can tell the hook's price from ours.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
