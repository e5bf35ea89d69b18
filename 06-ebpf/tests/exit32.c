/*
 * exit32.c — test helper of layer 06-ebpf: the smallest 32-bit (i386) program,
 * built with -m32 -nostdlib so no 32-bit C library is needed. It exits with
 * status 32 through the i386 `exit` system call. The exec test runs it to
 * prove that the exec of a 32-bit image is reported.
 */
void _start(void)
{
	__asm__ volatile("movl $1, %eax\n\tmovl $32, %ebx\n\tint $0x80");
	for (;;)
		;
}
