# debug-ui/debug-ui.mk — make fragment for the debug UI, included by
# 07-runner/Makefile (and by debug-ui/Makefile for the standalone build).
# Needs .mk/common.mk's BUILD/CFLAGS and its generic $(BUILD)/obj/%.o rule.
#
# Defines DBGUI_SRCS and DBGUI_OBJS; the page index.html is embedded by
# dbgui_assets.c (.incbin), so its object depends on the page.

DBGUI_DIR  ?= debug-ui
DBGUI_SRCS := $(DBGUI_DIR)/dbgui.c $(DBGUI_DIR)/dbgui_assets.c
DBGUI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(DBGUI_SRCS))

# The page is found through the assembler's include path, given relative to
# the build directory, so no absolute path of the tree lands in the binary.
$(DBGUI_OBJS): CFLAGS += -I$(DBGUI_DIR) -Wa,-I$(DBGUI_DIR)
$(BUILD)/obj/$(DBGUI_DIR)/dbgui_assets.o: $(DBGUI_DIR)/index.html
# It holds data only: no sanitizer constructor (whose debug record would carry
# the unmapped build directory).
$(BUILD)/obj/$(DBGUI_DIR)/dbgui_assets.o: CFLAGS += -fno-sanitize=all
