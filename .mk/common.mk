# .mk/common.mk — build settings shared by every layer.
#
# Each layer's Makefile starts with `include ../.mk/common.mk`, sets its own
# sources, and uses the variables and rules below. One place for compiler
# flags, quiet output, sanitizer builds and Check flags.
#
#   make            quiet build          make V=1      show every command
#   make SAN=1 ...  ASan + UBSan build into build/san/ (kept apart from build/)
#
# Variables a layer may read:
#   TOP      absolute path of the repository
#   BUILD    output folder (build or build/san)
#   CFLAGS / LDFLAGS   flags for everything (sanitizers included)
#   PREFIX_MAP         compiler flag writing source paths relative to TOP into
#                      debug info and __FILE__: no binary holds the build tree's path
#   CHECK_CFLAGS / CHECK_LIBS   flags for Check test programs
#   Q, msg   quiet-output helpers:   $(call msg,CC,$@)   and   $(Q)command

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

# `make` with no target builds the layer (the rules below would otherwise be the default).
.DEFAULT_GOAL := all

SAN ?= 0
ifeq ($(SAN),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    := build
SANFLAGS :=
endif

CC      ?= cc
ifeq ($(origin CC),default)
CC      := cc
endif
OPT     ?= -O2
PREFIX_MAP := -ffile-prefix-map=$(TOP)=.
CFLAGS  := $(PREFIX_MAP) -std=gnu11 -Wall -Wextra -Werror $(OPT) -g -fPIC -D_GNU_SOURCE \
           -Iinclude -Isrc -I$(TOP)/.mk $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
AR      ?= ar

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

ifeq ($(V),1)
Q   :=
msg  =
else
Q   := @
msg  = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

# Any .c file of the layer compiles to $(BUILD)/obj/<same path>.o, with
# header dependencies tracked in .d files next to it.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<) $(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Install missing dependencies (only when something is missing; see .mk/deps.sh).
.PHONY: deps-ensure
deps-ensure:
	@$(TOP)/.mk/deps.sh --check || $(TOP)/.mk/deps.sh

.DELETE_ON_ERROR:
