/*
 * dbgui_assets.c — the debug UI page, embedded into the binary at build time.
 *
 * Layer 07 (runner), debug-only. The assembler's .incbin copies index.html's
 * bytes into .rodata, so the page ships inside podrun and nothing is read from
 * disk at run time. DBGUI_ASSETS (set by debug-ui.mk) is the folder holding it.
 * Used by dbgui.c.
 */
#ifndef DBGUI_ASSETS
#error "DBGUI_ASSETS must name the folder that holds index.html (see debug-ui.mk)"
#endif

__asm__(".section .rodata\n"
	".global dbgui_page\n"
	".type dbgui_page, @object\n"
	".balign 16\n"
	"dbgui_page:\n"
	".incbin \"" DBGUI_ASSETS "/index.html\"\n"
	"dbgui_page_end:\n"
	".byte 0\n"
	".global dbgui_page_len\n"
	".type dbgui_page_len, @object\n"
	".balign 8\n"
	"dbgui_page_len:\n"
	".quad dbgui_page_end - dbgui_page\n"
	".previous\n");
