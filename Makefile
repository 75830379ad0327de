# Makefile: builds Vern, installs what it needs, runs it and tests it.
#
#   make          build build/vern
#   make deps     install every missing Debian package (listed once, below)
#   make run      deps + build + demo data, then serve on http://localhost:8080
#   make test     deps + build (normal and ASan+UBSan) + every test; ends with
#                 "N passed, N failed" and fails on any failure
#   make bench    benchmarks in tests/bench/, printing figures
#   make clean

# Every Debian package the project needs, in one place. nodejs and npm are
# skipped when node and npm are already on the PATH (a NodeSource nodejs
# bundles npm and conflicts with Debian's npm package).
DEB_PACKAGES := build-essential pkg-config libcivetweb-dev libsqlite3-dev \
	libjansson-dev libsodium-dev liblua5.4-dev libarchive-dev libexpat1-dev \
	libcmark-dev sqlite3 nodejs npm wrk clang libclang-rt-14-dev chromium \
	libcurl4-openssl-dev python3-aiosmtpd openssl

CC      ?= cc
PKGS    := jansson sqlite3 libsodium lua5.4 libarchive expat libcmark libcurl
WARN    := -Wall -Wextra -Wformat=2 -Wno-unused-parameter -Wstrict-prototypes
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Iserver -Ilrs -Icourses -Iplugins -Iadmin -Ibuild/gen \
	$(shell pkg-config --cflags lua5.4 2>/dev/null)
LDFLAGS += -pie -Wl,-z,relro,-z,now -pthread
LDLIBS  := -lcivetweb $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lsqlite3 -lsodium -llua5.4 -larchive -lexpat -lcmark -lcurl) -lm

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

# Sources: every .c in the code folders; server/main.c holds main().
SRC_DIRS := server lrs courses plugins admin
SRCS     := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
LIB_SRCS := $(filter-out server/main.c,$(SRCS))
MIGRATIONS := $(sort $(wildcard server/migrations/*.sql))
GEN      := build/gen/migrations.c

# The course player's files and scorm-again, compiled in (courses/assets.h).
PLAYER_FILES := $(sort $(wildcard courses/player/*.html courses/player/*.js courses/player/*.css))
SCORM_AGAIN  := node_modules/scorm-again/dist/scorm12.min.js node_modules/scorm-again/dist/scorm2004.min.js
ASSETS_GEN   := build/gen/assets.c

OBJS      := $(LIB_SRCS:%.c=build/obj/%.o) build/obj/gen/migrations.o build/obj/gen/assets.o
ASAN_OBJS := $(LIB_SRCS:%.c=build/asan/obj/%.o) build/asan/obj/gen/migrations.o build/asan/obj/gen/assets.o

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
ASAN_UNITS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)

# Fuzz targets (libFuzzer): tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/. `make test` replays the seeds; `make fuzz` fuzzes
# each target for FUZZ_SECONDS.
FUZZ_CC    := clang
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_OBJS  := $(LIB_SRCS:%.c=build/fuzz/obj/%.o) build/fuzz/obj/gen/migrations.o build/fuzz/obj/gen/assets.o
FUZZ_SECONDS ?= 60

# Builds run one job per processor (make run/test/bench call make again).
JOBS := $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps run test bench clean asan fuzz fuzz-build

all: build/vern

$(GEN): $(MIGRATIONS) server/migrations/embed.sh
	@mkdir -p $(dir $@)
	sh server/migrations/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(ASSETS_GEN): $(PLAYER_FILES) courses/player/embed.sh node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	sh courses/player/embed.sh $(PLAYER_FILES) $(SCORM_AGAIN) > $@.tmp && mv $@.tmp $@
# The runtime of native lessons (courses/au/), embedded into the binary.
NATIVE_ASSETS := $(sort $(wildcard courses/au/*.js courses/au/*.css))
build/gen/native_assets_data.h: $(NATIVE_ASSETS) courses/au/embed.sh
	@mkdir -p $(dir $@)
	sh courses/au/embed.sh $(NATIVE_ASSETS) > $@.tmp && mv $@.tmp $@
build/obj/courses/native_assets.o build/asan/obj/courses/native_assets.o \
	build/fuzz/obj/courses/native_assets.o: build/gen/native_assets_data.h

build/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN) -MMD -MP -c $< -o $@

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN) -c $< -o $@

build/vern: build/obj/server/main.o $(OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

build/asan/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -MMD -MP -c $< -o $@

build/asan/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -c $< -o $@

build/asan/vern: build/asan/obj/server/main.o $(ASAN_OBJS)
	$(CC) $(SAN_FLAGS) -pthread $^ -o $@ $(LDLIBS)

asan: build/asan/vern $(ASAN_UNITS)

build/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $< $(OBJS) -o $@ $(LDLIBS)

build/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -Itests/unit $< $(ASAN_OBJS) -o $@ $(LDLIBS)

build/fuzz/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -O2 -Wformat=2,$(CFLAGS)) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -O2 -Wformat=2,$(CFLAGS)) $(FUZZ_FLAGS) -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter-out -O2 -Wformat=2,$(CFLAGS)) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for f in $(FUZZ_BINS); do 		name=$${f#build/fuzz/fuzz_}; mkdir -p build/fuzz/corpus/$$name; 		echo "== fuzzing $$name for $(FUZZ_SECONDS) s"; 		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build/fuzz/corpus/$$name tests/fuzz/corpus/$$name || exit 1; 	done

build/bench/bare_hello: tests/bench/bare_hello.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra $< -o $@ -lcivetweb -pthread

build/bench/bare_insert: tests/bench/bare_insert.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra $< -o $@ -lcivetweb -ljansson -lsqlite3 -pthread

# npm tools for the tests (pinned by package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Scripts the pages load from npm packages, served as /assets/vendor/*.
build/vendor/qrcode.js: node_modules/.package-lock.json
	@mkdir -p $(dir $@)
	cp node_modules/qrcode-generator/dist/qrcode.js $@

# Installs the missing packages. Needs root; otherwise prints the command.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		case $$p in nodejs) command -v node >/dev/null && continue;; \
			npm) command -v npm >/dev/null && continue;; esac; \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "Missing packages:$$missing"; \
		echo "Run as root: apt-get update && apt-get install -y$$missing"; exit 1; \
	fi; \
	echo "Installing:$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

run: deps
	@$(MAKE) -j$(JOBS) --no-print-directory node_modules/.package-lock.json build/vern build/vendor/qrcode.js
	build/vern demo
	sh tests/mail/with_sink.sh build/vern serve --listen 127.0.0.1:8080 --demo-mode true

test: deps
	@$(MAKE) -j$(JOBS) --no-print-directory build/vern asan $(UNIT_BINS) $(FUZZ_BINS) \
		$(if $(wildcard package.json),node_modules/.package-lock.json build/vendor/qrcode.js)
	@sh tests/run.sh

bench: deps
	@$(MAKE) -j$(JOBS) --no-print-directory build/vern build/bench/bare_hello $(if $(wildcard tests/bench/bare_insert.c),build/bench/bare_insert)
	@bash tests/bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
