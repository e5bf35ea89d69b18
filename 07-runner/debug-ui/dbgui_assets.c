/*
 * dbgui_assets.c — the debug UI page, embedded into the binary at build time.
 *
 * Layer 07 (runner), debug-only. The assembler's .incbin copies index.html's
 * bytes into .rodata, so the page ships inside podrun and nothing is read from
 * disk at run time. The assembler finds the page on its include path
 * (-Wa,-I, set by debug-ui.mk). Used by dbgui.c.
 */

__asm__(".section .rodata\n"
	".global dbgui_page\n"
	".type dbgui_page, @object\n"
	".balign 16\n"
	"dbgui_page:\n"
	".incbin \"index.html\"\n"
	"dbgui_page_end:\n"
	".byte 0\n"
	".global dbgui_page_len\n"
	".type dbgui_page_len, @object\n"
	".balign 8\n"
	"dbgui_page_len:\n"
	".quad dbgui_page_end - dbgui_page\n"
	".previous\n");
