/* test_sandbox.c: the plugin Lua sandbox (plugins/sandbox.c): what is out
 * of reach, the instruction budget, the memory cap, error reporting. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "sandbox.h"
#include "unit.h"

static struct sandbox *make(size_t memory, long instructions)
{
	char err[256];
	struct sandbox_limits lim = { memory, instructions, 0 };
	struct sandbox *sb = sandbox_new("test", lim, err, sizeof(err));
	if (!sb)
		printf("#   sandbox_new: %s\n", err);
	return sb;
}

/* Loads and runs src as the chunk chunkname. */
static int load_as(struct sandbox *sb, const char *chunkname, const char *src,
		   char *err, size_t errlen)
{
	return sandbox_load_string(sb, chunkname, src, strlen(src), err, errlen);
}

/* Runs src as a chunk named "=test"; prints the error when there is one. */
static int run(struct sandbox *sb, const char *src, char *err, size_t errlen)
{
	int rc = load_as(sb, "=test", src, err, errlen);
	if (rc != 0)
		printf("#   (error: %s)\n", err);
	return rc;
}

/* Calls the global function fn with no arguments, keeping nresults. */
static int call(struct sandbox *sb, const char *fn, int nresults, char *err,
		size_t errlen)
{
	lua_getglobal(sandbox_lua(sb), fn);
	return sandbox_call(sb, 0, nresults, err, errlen);
}

static void test_out_of_reach(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 1000000);
	CHECK(sb != NULL);
	CHECK(run(sb,
		  "assert(io == nil and package == nil and require == nil)\n"
		  "assert(debug == nil and coroutine == nil)\n"
		  "assert(dofile == nil and loadfile == nil and print == nil)\n"
		  "assert(os.execute == nil and os.getenv == nil and os.remove == nil)\n"
		  "assert(os.exit == nil and os.rename == nil and os.tmpname == nil)\n"
		  "assert(string.dump == nil and ('x').dump == nil)\n"
		  "local f, msg = load('\\27Lua\\84\\0')\n"
		  "assert(f == nil and msg:find('binary'), msg)\n"
		  "assert(not pcall(load, function() return nil end))\n"
		  "assert(not pcall(collectgarbage))\n"
		  "assert(not pcall(collectgarbage, 'stop'))\n"
		  "assert(type(collectgarbage('count')) == 'number')\n",
		  err, sizeof(err)) == 0);
	/* The host entry point refuses bytecode as well. */
	CHECK(load_as(sb, "=bc", "\x1bLua\x54", err, sizeof(err)) == -1);
	CHECK(strstr(err, "binary") != NULL);
	sandbox_free(sb);
}

static void test_allowed(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 1000000);
	CHECK(run(sb,
		  "assert(os.time() > 1600000000)\n"
		  "assert(os.date('!%Y-%m-%d', 0) == '1970-01-01')\n"
		  "assert(type(os.clock()) == 'number')\n"
		  "assert(load('return 1 + 1')() == 2)\n"
		  "assert(load('return x', 'c', 't', { x = 5 })() == 5)\n"
		  "assert(select(2, pcall(error, 'e', 0)) == 'e')\n"
		  "assert(select(2, xpcall(error, function(m) return 'h:' .. m end, 'e', 0)) == 'h:e')\n"
		  "assert(math.max(1, 2) == 2 and utf8.len('h\\u{e9}') == 2)\n"
		  "assert(table.concat({ 'a', 'b' }) == 'ab' and ('x'):rep(3) == 'xxx')\n"
		  "function now() return os.time() end\n",
		  err, sizeof(err)) == 0);
	CHECK(call(sb, "now", 1, err, sizeof(err)) == 0);
	CHECK(lua_tointeger(sandbox_lua(sb), -1) > 1600000000);
	lua_pop(sandbox_lua(sb), 1);
	sandbox_free(sb);
}

static void test_call_returns_values(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 1000000);
	lua_State *L = sandbox_lua(sb);
	CHECK(run(sb, "function add(a, b) return a + b, a * b end", err, sizeof(err)) == 0);
	lua_getglobal(L, "add");
	lua_pushinteger(L, 3);
	lua_pushinteger(L, 4);
	CHECK(sandbox_call(sb, 2, 2, err, sizeof(err)) == 0);
	CHECK(lua_tointeger(L, -2) == 7);
	CHECK(lua_tointeger(L, -1) == 12);
	lua_pop(L, 2);
	CHECK(lua_gettop(L) == 0);
	sandbox_free(sb);
}

static void test_budget(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 100000);
	lua_State *L = sandbox_lua(sb);
	CHECK(run(sb,
		  "function spin() while true do end end\n"
		  "function catch_all() while true do pcall(spin) end end\n"
		  "function bad_handler() xpcall(spin, function() while true do end end) end\n"
		  "function loop_in_handler() xpcall(error, function() while true do end end) end\n"
		  "function work() local n = 0 for i = 1, 10000 do n = n + i end return n end\n",
		  err, sizeof(err)) == 0);
	const char *const stuck[] = { "spin", "catch_all", "bad_handler", "loop_in_handler" };
	for (size_t i = 0; i < sizeof(stuck) / sizeof(stuck[0]); i++) {
		lua_getglobal(L, stuck[i]);
		CHECK(sandbox_call(sb, 0, 0, err, sizeof(err)) == -1);
		CHECK(strstr(err, "instruction budget exceeded") != NULL);
		CHECK(lua_gettop(L) == 0);
	}
	lua_getglobal(L, "spin");
	CHECK(sandbox_call(sb, 0, 0, err, sizeof(err)) == -1);
	CHECK_STR(err, "test:1: instruction budget exceeded");
	/* The budget is per call: many calls that each fit all succeed. */
	for (int i = 0; i < 50; i++) {
		CHECK(call(sb, "work", 1, err, sizeof(err)) == 0);
		CHECK(lua_tointeger(L, -1) == 50005000);
		lua_pop(L, 1);
	}
	/* The top level of a chunk is under the budget too. */
	CHECK(load_as(sb, "=top", "while true do end", err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	sandbox_free(sb);
}

/* vern_call(fn): an API function calling back into Lua, as plugin API
 * functions will. */
static int vern_call(lua_State *L)
{
	char err[256];
	struct sandbox *sb = sandbox_of(L);
	lua_pushvalue(L, 1);
	if (sandbox_call(sb, 0, 0, err, sizeof(err)) != 0)
		return luaL_error(L, "%s", err);
	lua_pushstring(L, sandbox_name(sb));
	return 1;
}

static void test_api_and_nested_budget(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 100000);
	lua_State *L = sandbox_lua(sb);
	lua_newtable(L);
	lua_pushcfunction(L, vern_call);
	lua_setfield(L, -2, "call");
	lua_setglobal(L, "vern");
	CHECK(run(sb, "assert(vern.call(function() end) == 'test')", err, sizeof(err)) == 0);
	/* 100 nested calls of ~25000 instructions: over the shared budget. */
	CHECK(load_as(sb, "=nested", "for i = 1, 100 do\n"
		      "  vern.call(function() for j = 1, 10000 do end end)\n"
		      "end", err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	CHECK(run(sb, "vern.call(function() end)", err, sizeof(err)) == 0);
	sandbox_free(sb);
}

static void test_memory(void)
{
	char err[256];
	struct sandbox *sb = make(2 << 20, 10000000);
	lua_State *L = sandbox_lua(sb);
	CHECK(run(sb,
		  "function grow() local t = {} for i = 1, 1e8 do t[i] = i end end\n"
		  "function rep() return string.rep('x', 1e9) end\n"
		  "function caught() return pcall(string.rep, 'x', 1e9) end\n"
		  "function add(a, b) return a + b end\n",
		  err, sizeof(err)) == 0);
	const char *const hogs[] = { "grow", "rep" };
	for (size_t i = 0; i < sizeof(hogs) / sizeof(hogs[0]); i++) {
		lua_getglobal(L, hogs[i]);
		CHECK(sandbox_call(sb, 0, 0, err, sizeof(err)) == -1);
		CHECK(strstr(err, "out of memory") != NULL);
		CHECK(lua_gettop(L) == 0);
		/* Still usable. */
		lua_getglobal(L, "add");
		lua_pushinteger(L, 2);
		lua_pushinteger(L, 3);
		CHECK(sandbox_call(sb, 2, 1, err, sizeof(err)) == 0);
		CHECK(lua_tointeger(L, -1) == 5);
		lua_pop(L, 1);
	}
	CHECK(call(sb, "caught", 2, err, sizeof(err)) == 0);
	CHECK(lua_toboolean(L, -2) == 0);
	CHECK(strstr(lua_tostring(L, -1), "memory") != NULL);
	lua_pop(L, 2);
	/* Host pushes between calls are never refused. */
	lua_pushlstring(L, "this string is not counted against the plugin", 46);
	lua_pop(L, 1);
	sandbox_free(sb);
}

/* Building ever longer strings copies O(n^2) bytes inside C functions,
 * unseen by the count hook; allocation is charged to the budget instead. */
static void test_allocation_counts(void)
{
	char err[256];
	struct sandbox *sb = make(64 << 20, 1000000);
	CHECK(load_as(sb, "=concat", "local s = '' for i = 1, 1e6 do s = s .. 'xxxxxxxx' end",
		      err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	CHECK(load_as(sb, "=rep", "for i = 1, 1e6 do local s = ('x'):rep(16 << 20) end",
		      err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	sandbox_free(sb);
}

static void test_stack_overflow(void)
{
	char err[256];
	struct sandbox *sb = make(256 << 20, 100000000);
	CHECK(run(sb,
		  "function deep() local function f() return 1 + f() end return f() end\n"
		  "function cdeep()\n"
		  "  local t = setmetatable({}, { __index = function(t, k) return t[k] end })\n"
		  "  return t.x\n"
		  "end\n"
		  "function add(a, b) return a + b end\n",
		  err, sizeof(err)) == 0);
	CHECK(call(sb, "deep", 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "stack overflow") != NULL);
	CHECK(call(sb, "cdeep", 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "stack overflow") != NULL);
	CHECK(run(sb, "assert(add(1, 2) == 3)", err, sizeof(err)) == 0);
	sandbox_free(sb);
}

static void test_gc_metamethods_refused(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 1000000);
	lua_State *L = sandbox_lua(sb);
	CHECK(load_as(sb, "=gc", "setmetatable({}, { __gc = function() end })",
		      err, sizeof(err)) == -1);
	CHECK(strstr(err, "__gc") != NULL);
	CHECK(load_as(sb, "=gc", "setmetatable({}, { __gc = false })", err, sizeof(err)) == -1);
	CHECK(strstr(err, "__gc") != NULL);
	/* __gc added after setmetatable is never called (Lua's rule). */
	CHECK(run(sb, "ran = false local mt = {} setmetatable({}, mt) "
		      "mt.__gc = function() ran = true end", err, sizeof(err)) == 0);
	lua_gc(L, LUA_GCCOLLECT);
	lua_gc(L, LUA_GCCOLLECT);
	CHECK(run(sb, "assert(ran == false)", err, sizeof(err)) == 0);
	CHECK(run(sb, "local t = setmetatable({}, { __index = { a = 1 } }) assert(t.a == 1)",
		  err, sizeof(err)) == 0);
	sandbox_free(sb);
}

static void test_errors_and_lines(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 1000000);
	CHECK(load_as(sb, "@plugins/bad.lua", "x = 1\ny = = 2\n", err, sizeof(err)) == -1);
	CHECK(strstr(err, "plugins/bad.lua:2:") != NULL);
	CHECK(load_as(sb, "=t", "error({})", err, sizeof(err)) == -1);
	CHECK_STR(err, "(error object is a table value)");
	CHECK(load_as(sb, "=t", "local x = nil\nreturn x.y", err, sizeof(err)) == -1);
	CHECK(strstr(err, "t:2:") != NULL);

	char dir[] = "/tmp/vern-sandbox-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char good[64], bad[64], bin[64];
	snprintf(good, sizeof(good), "%s/hello.lua", dir);
	snprintf(bad, sizeof(bad), "%s/broken.lua", dir);
	snprintf(bin, sizeof(bin), "%s/bin.lua", dir);
	FILE *f = fopen(good, "w");
	fputs("local greeting = 'hi '\n"
	      "function hello(name)\n"
	      "  if name == nil then error('no name') end\n"
	      "  return greeting .. name, #name\n"
	      "end\n", f);
	fclose(f);
	f = fopen(bad, "w");
	fputs("function ok() end\nfunction broken(\n", f);
	fclose(f);
	f = fopen(bin, "w");
	fputs("\x1bLua\x54", f);
	fclose(f);

	lua_State *L = sandbox_lua(sb);
	CHECK(sandbox_load_file(sb, good, err, sizeof(err)) == 0);
	lua_getglobal(L, "hello");
	lua_pushstring(L, "bob");
	CHECK(sandbox_call(sb, 1, 2, err, sizeof(err)) == 0);
	CHECK_STR(lua_tostring(L, -2), "hi bob");
	CHECK(lua_tointeger(L, -1) == 3);
	lua_pop(L, 2);
	CHECK(call(sb, "hello", 0, err, sizeof(err)) == -1);
	CHECK_STR(err, "plugins/hello.lua:3: no name");
	CHECK(sandbox_load_file(sb, bad, err, sizeof(err)) == -1);
	CHECK(strstr(err, "plugins/broken.lua:3:") != NULL);
	CHECK(sandbox_load_file(sb, bin, err, sizeof(err)) == -1);
	CHECK(strstr(err, "binary") != NULL);
	CHECK(sandbox_load_file(sb, "/nonexistent/x.lua", err, sizeof(err)) == -1);
	CHECK(strstr(err, "/nonexistent/x.lua") != NULL);
	CHECK(lua_gettop(L) == 0);
	unlink(good);
	unlink(bad);
	unlink(bin);
	rmdir(dir);
	sandbox_free(sb);
}

static void test_states_are_separate(void)
{
	char err[256];
	struct sandbox *a = make(4 << 20, 1000000);
	struct sandbox *b = make(4 << 20, 1000000);
	CHECK(run(a, "getmetatable('').__index = function() error('tampered') end "
		     "string.upper = nil shared = 1", err, sizeof(err)) == 0);
	CHECK(load_as(a, "=a", "return ('x'):upper()", err, sizeof(err)) == -1);
	CHECK(strstr(err, "tampered") != NULL);
	CHECK(run(b, "assert(('x'):upper() == 'X' and string.upper and shared == nil)",
		  err, sizeof(err)) == 0);
	sandbox_free(a);
	sandbox_free(b);
}

static void test_bad_limits(void)
{
	char err[256];
	struct sandbox_limits none = { 0, 1000, 0 };
	CHECK(sandbox_new("p", none, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "limits") != NULL);
	struct sandbox_limits tiny = { 1000, 1000, 0 };
	CHECK(sandbox_new("p", tiny, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "out of memory") != NULL);
	char long_name[100];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	struct sandbox_limits ok = { 4 << 20, 1000, 0 };
	CHECK(sandbox_new(long_name, ok, err, sizeof(err)) == NULL);
	sandbox_free(NULL);
}

/* The wall-clock budget stops a loop whose instruction budget is huge. */
static void test_time_budget(void)
{
	char err[256];
	struct sandbox_limits lim = { 4 << 20, 1000000000000L, 200 };
	struct sandbox *sb = sandbox_new("timed", lim, err, sizeof(err));
	CHECK(sb != NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(load_as(sb, "=spin", "while true do end", err, sizeof(err)) == -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_STR(err, "spin:1: time budget exceeded");
	CHECK(ms >= 150 && ms < 2000);
	/* A new budget for the next call: a short call succeeds. */
	sandbox_set_budget(sb, 100000, 0);
	CHECK(run(sb, "local n = 0 for i = 1, 1000 do n = n + i end", err, sizeof(err)) == 0);
	CHECK(load_as(sb, "=spin", "while true do end", err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	sandbox_free(sb);
}

/* charge(n): host work charged by an API function; once spent, the error
 * it raises cannot be caught by the script. */
static int vern_work(lua_State *L)
{
	struct sandbox *sb = sandbox_of(L);
	if (sandbox_charge(sb, (long)luaL_checkinteger(L, 1)) != 0)
		return sandbox_budget_error(L);
	lua_pushboolean(L, 1);
	return 1;
}

static void test_charge(void)
{
	char err[256];
	struct sandbox *sb = make(4 << 20, 100000);
	lua_State *L = sandbox_lua(sb);
	int marker = 42;
	sandbox_set_user(sb, &marker);
	CHECK(sandbox_user(sb) == &marker);
	lua_pushcfunction(L, vern_work);
	lua_setglobal(L, "work");
	CHECK(run(sb, "assert(work(50000))", err, sizeof(err)) == 0);
	CHECK(load_as(sb, "=c", "work(50000) work(50000)", err, sizeof(err)) == -1);
	CHECK_STR(err, "c:1: instruction budget exceeded");
	CHECK(load_as(sb, "=c", "while true do pcall(work, 60000) end", err, sizeof(err)) == -1);
	CHECK(strstr(err, "instruction budget exceeded") != NULL);
	/* Outside a call nothing is charged. */
	CHECK(sandbox_charge(sb, 1000000000) == 0);
	CHECK(run(sb, "assert(work(10))", err, sizeof(err)) == 0);
	sandbox_free(sb);
}

/* A file's returned values are kept by sandbox_run_file. */
static void test_run_file_results(void)
{
	char err[256], path[] = "/tmp/vern-sandbox-ret-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char *src = "return { name = 'x' }, 7";
	CHECK(write(fd, src, strlen(src)) == (ssize_t)strlen(src));
	close(fd);
	struct sandbox *sb = make(4 << 20, 100000);
	lua_State *L = sandbox_lua(sb);
	CHECK(sandbox_run_file(sb, path, 2, err, sizeof(err)) == 0);
	CHECK(lua_gettop(L) == 2);
	CHECK(lua_tointeger(L, -1) == 7);
	CHECK(lua_istable(L, -2));
	lua_settop(L, 0);
	unlink(path);
	sandbox_free(sb);
}

int main(void)
{
	UNIT_RUN(test_out_of_reach);
	UNIT_RUN(test_allowed);
	UNIT_RUN(test_call_returns_values);
	UNIT_RUN(test_budget);
	UNIT_RUN(test_api_and_nested_budget);
	UNIT_RUN(test_memory);
	UNIT_RUN(test_allocation_counts);
	UNIT_RUN(test_stack_overflow);
	UNIT_RUN(test_gc_metamethods_refused);
	UNIT_RUN(test_errors_and_lines);
	UNIT_RUN(test_states_are_separate);
	UNIT_RUN(test_bad_limits);
	UNIT_RUN(test_time_budget);
	UNIT_RUN(test_charge);
	UNIT_RUN(test_run_file_results);
	return unit_done();
}
