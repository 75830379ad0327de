/* sandbox.c: the walls around a plugin's Lua state.
 *
 * Three guards, each set up once in sandbox_new:
 *  - memory: sandbox_alloc counts every byte the state holds and refuses
 *    growth past the cap while sandboxed code runs (depth > 0);
 *  - time: sandbox_hook runs every 1000 VM instructions and raises
 *    "instruction budget exceeded" when the call's budget is spent (memory
 *    growth and the host's API work, sandbox_charge, are charged to it too),
 *    or "time budget exceeded" past the call's wall-clock deadline. pcall
 *    and xpcall are replaced so that a script cannot catch that error and
 *    carry on;
 *  - reach: sandbox_setup opens only base, string, table, math, utf8 and a
 *    three-function os, then removes or narrows what could touch files,
 *    load bytecode or run code outside the hook (__gc finalizers run with
 *    hooks off, so setmetatable refuses them).
 * Every entry point runs Lua under lua_pcall and turns the error into text
 * (sandbox_fail). */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "log.h"

#define SANDBOX_HOOK_STEP 1000  /* VM instructions between budget checks */
#define SANDBOX_BYTES_PER_INSTRUCTION 64  /* allocation charged to the budget */

struct sandbox {
	lua_State *L;
	struct sandbox_limits lim;
	size_t used;      /* bytes the state holds now */
	long remaining;   /* instructions left in the current call */
	int step;         /* hook interval, at most the whole budget */
	int depth;        /* sandbox calls under way; the cap applies when > 0 */
	int stopped;      /* the budget is spent: nothing may catch it */
	const char *why;  /* which budget: the error message */
	long long deadline_ms; /* CLOCK_MONOTONIC; 0: none */
	void *user;
	char name[64];
};

static long long sandbox_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sandbox_set_user(struct sandbox *sb, void *user)
{
	sb->user = user;
}

void *sandbox_user(const struct sandbox *sb)
{
	return sb->user;
}

struct sandbox *sandbox_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

const char *sandbox_name(const struct sandbox *sb)
{
	return sb->name;
}

lua_State *sandbox_lua(struct sandbox *sb)
{
	return sb->L;
}

static void sandbox_hook(lua_State *L, lua_Debug *ar);

/* Lua's allocator. Lua turns a NULL into a memory error after one emergency
 * collection. Shrinking and freeing are never refused. When ptr is NULL,
 * osize codes the object type, not a size.
 * Work done inside C functions (string.rep, .., table.concat) is invisible
 * to the count hook, so growth is also charged to the instruction budget,
 * and once that spends it the hook is made to fire at the next instruction
 * (lua_sethook is safe anywhere, even in a signal handler): a loop building
 * ever longer strings stops at the budget, not after seconds of copying. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sandbox *sb = ud;
	const size_t old = ptr ? osize : 0;
	const size_t cap = sb->lim.memory_bytes;

	if (nsize == 0) {
		free(ptr);
		sb->used -= old;
		return NULL;
	}
	if (nsize > old && sb->depth > 0 &&
	    (sb->used > cap || nsize - old > cap - sb->used))
		return NULL;
	void *p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	sb->used = sb->used - old + nsize;
	if (nsize > old && sb->depth > 0) {
		sb->remaining -= (long)((nsize - old) / SANDBOX_BYTES_PER_INSTRUCTION);
		if (sb->remaining <= 0)  /* stop at the next instruction */
			lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, 1);
		else if (nsize - old >= (1 << 20) && sb->deadline_ms &&
			 sandbox_clock_ms() > sb->deadline_ms)
			lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, 1);
	}
	return p;
}

/* Raises at every tick once the budget is spent, so even an error handler
 * that loops is stopped. A hook has no frame of its own: level 0 is the
 * Lua function that was running, which gives the message its line. */
static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
	struct sandbox *sb = sandbox_of(L);

	sb->remaining -= sb->step;
	if (!sb->stopped && sb->remaining > 0 &&
	    (!sb->deadline_ms || sandbox_clock_ms() <= sb->deadline_ms))
		return;
	if (!sb->stopped)
		sb->why = sb->remaining > 0 ? "time budget exceeded" : "instruction budget exceeded";
	sb->stopped = 1;
	luaL_where(L, 0);
	lua_pushstring(L, sb->why);
	lua_concat(L, 2);
	lua_error(L);
}

int sandbox_charge(struct sandbox *sb, long instructions)
{
	if (sb->depth == 0)
		return 0;
	sb->remaining -= instructions;
	if (sb->stopped)
		return -1;
	if (sb->remaining > 0 && (!sb->deadline_ms || sandbox_clock_ms() <= sb->deadline_ms))
		return 0;
	sb->why = sb->remaining > 0 ? "time budget exceeded" : "instruction budget exceeded";
	sb->stopped = 1;
	lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, 1);
	return -1;
}

int sandbox_budget_error(lua_State *L)
{
	struct sandbox *sb = sandbox_of(L);

	sb->stopped = 1;
	if (!sb->why)
		sb->why = "instruction budget exceeded";
	luaL_where(L, 1);
	lua_pushstring(L, sb->why);
	lua_concat(L, 2);
	return lua_error(L);
}

void sandbox_set_budget(struct sandbox *sb, long instructions, long time_ms)
{
	if (instructions > 0)
		sb->lim.instructions = instructions;
	sb->lim.time_ms = time_ms > 0 ? time_ms : 0;
	sb->step = sb->lim.instructions < SANDBOX_HOOK_STEP ? (int)sb->lim.instructions
							    : SANDBOX_HOOK_STEP;
}

/* Only reached by a bug of ours (an error outside lua_pcall); Lua aborts
 * when this returns. */
static int sandbox_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	char q[256];

	log_event(LOG_ERROR, "lua_panic", "plugin=%s error=%s",
		  sandbox_of(L)->name, log_quote(q, sizeof(q), msg ? msg : "?"));
	return 0;
}

/* A fresh budget for an outermost call; nested calls share it. */
static void sandbox_enter(struct sandbox *sb)
{
	if (sb->depth++ > 0)
		return;
	sb->remaining = sb->lim.instructions;
	sb->stopped = 0;
	sb->why = NULL;
	sb->deadline_ms = sb->lim.time_ms > 0 ? sandbox_clock_ms() + sb->lim.time_ms : 0;
	lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, sb->step);
}

/* Writes the error on top of the stack into err and pops it. Only strings
 * are read: converting anything else could run a metamethod here,
 * unprotected. */
static int sandbox_fail(struct sandbox *sb, int status, char *err,
			size_t errlen)
{
	lua_State *L = sb->L;

	if (status == LUA_ERRMEM)
		snprintf(err, errlen, "out of memory (limit %zu bytes)",
			 sb->lim.memory_bytes);
	else if (lua_type(L, -1) == LUA_TSTRING)
		snprintf(err, errlen, "%s", lua_tostring(L, -1));
	else
		snprintf(err, errlen, "(error object is a %s value)",
			 luaL_typename(L, -1));
	lua_pop(L, 1);
	return -1;
}

/* Ends pcall and xpcall: a spent budget goes on up; anything else is
 * returned as false, message. */
static int sb_finish_pcall(lua_State *L, int status, int extra)
{
	if (status == LUA_OK)
		return lua_gettop(L) - extra;
	if (sandbox_of(L)->stopped)
		return lua_error(L);
	lua_pushboolean(L, 0);
	lua_pushvalue(L, -2);
	return 2;
}

static int sb_pcall(lua_State *L)
{
	luaL_checkany(L, 1);
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	const int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
	return sb_finish_pcall(L, status, 0);
}

/* The user's handler may be reached from inside the hook, where hooks are
 * off; once the budget is spent it is skipped. */
static int sb_xpcall_handler(lua_State *L)
{
	if (sandbox_of(L)->stopped)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sb_xpcall(lua_State *L)
{
	const int n = lua_gettop(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, sb_xpcall_handler, 1);
	lua_replace(L, 2);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);  /* f, handler, true, f, args... */
	const int status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
	return sb_finish_pcall(L, status, 2);
}

/* load(s [, chunkname [, mode [, env]]]): source text in a string only;
 * mode is ignored (always "t"). Returns the function, or nil, message. */
static int sb_load(lua_State *L)
{
	size_t len;
	const char *src = luaL_checklstring(L, 1, &len);
	const char *chunkname = luaL_optstring(L, 2, src);
	const int has_env = !lua_isnone(L, 4);

	if (luaL_loadbufferx(L, src, len, chunkname, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (has_env) {
		lua_pushvalue(L, 4);
		if (!lua_setupvalue(L, -2, 1))
			lua_pop(L, 1);
	}
	return 1;
}

/* collectgarbage("count") only: the rest would let a script stop the
 * collector or spend time outside the budget. */
static int sb_collectgarbage(lua_State *L)
{
	static const char *const opts[] = { "count", NULL };

	luaL_checkoption(L, 1, NULL, opts);
	lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
			  (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024);
	return 1;
}

/* The standard setmetatable, refusing __gc: finalizers run with hooks off,
 * so no budget could stop one. Lua marks an object for finalization only
 * if __gc is present now, so a field added later is never called. */
static int sb_setmetatable(lua_State *L)
{
	const int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not allowed");
		lua_pop(L, 1);
	}
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/* os with time, date and clock only. */
static void sandbox_open_os(lua_State *L)
{
	static const char *const keep[] = { "time", "date", "clock", NULL };

	lua_pushcfunction(L, luaopen_os);
	lua_call(L, 0, 1);
	lua_createtable(L, 0, 3);
	for (int i = 0; keep[i]; i++) {
		lua_getfield(L, -2, keep[i]);
		lua_setfield(L, -2, keep[i]);
	}
	lua_setglobal(L, "os");
	lua_pop(L, 1);
}

/* Runs under lua_pcall and the memory cap (a cap too small fails here). */
static int sandbox_setup(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ NULL, NULL },
	};
	static const char *const removed[] = { "dofile", "loadfile", "print", NULL };
	static const luaL_Reg replaced[] = {
		{ "load", sb_load },
		{ "pcall", sb_pcall },
		{ "xpcall", sb_xpcall },
		{ "collectgarbage", sb_collectgarbage },
		{ "setmetatable", sb_setmetatable },
		{ NULL, NULL },
	};

	for (const luaL_Reg *lib = libs; lib->name; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	for (int i = 0; removed[i]; i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
	lua_pushglobaltable(L);
	luaL_setfuncs(L, replaced, 0);
	lua_pop(L, 1);
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	sandbox_open_os(L);
	return 0;
}

struct sandbox *sandbox_new(const char *name, struct sandbox_limits lim,
			    char *err, size_t errlen)
{
	char why[256];

	if (lim.memory_bytes == 0 || lim.instructions <= 0) {
		snprintf(err, errlen, "plugin %s: limits must be positive", name);
		return NULL;
	}
	struct sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb) {
		snprintf(err, errlen, "plugin %s: out of memory", name);
		return NULL;
	}
	if (snprintf(sb->name, sizeof(sb->name), "%s", name) >= (int)sizeof(sb->name)) {
		snprintf(err, errlen, "plugin name too long: %.40s...", name);
		free(sb);
		return NULL;
	}
	sb->lim = lim;
	sb->step = lim.instructions < SANDBOX_HOOK_STEP ? (int)lim.instructions
							 : SANDBOX_HOOK_STEP;
	sb->L = lua_newstate(sandbox_alloc, sb);
	if (!sb->L) {
		snprintf(err, errlen, "plugin %s: cannot create a Lua state", name);
		free(sb);
		return NULL;
	}
	lua_atpanic(sb->L, sandbox_panic);
	lua_pushcfunction(sb->L, sandbox_setup);
	if (sandbox_call(sb, 0, 0, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "plugin %s: cannot open libraries: %s", name, why);
		sandbox_free(sb);
		return NULL;
	}
	return sb;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	lua_close(sb->L);
	free(sb);
}

int sandbox_call(struct sandbox *sb, int nargs, int nresults, char *err,
		 size_t errlen)
{
	sandbox_enter(sb);
	const int status = lua_pcall(sb->L, nargs, nresults, 0);
	sb->depth--;
	if (status != LUA_OK)
		return sandbox_fail(sb, status, err, errlen);
	return 0;
}

static int sandbox_run_string(struct sandbox *sb, const char *chunkname, const char *src,
			      size_t len, int nresults, char *err, size_t errlen)
{
	sandbox_enter(sb);
	const int status = luaL_loadbufferx(sb->L, src, len, chunkname, "t");
	sb->depth--;
	if (status != LUA_OK)
		return sandbox_fail(sb, status, err, errlen);
	return sandbox_call(sb, 0, nresults, err, errlen);
}

int sandbox_load_string(struct sandbox *sb, const char *chunkname,
			const char *src, size_t len, char *err, size_t errlen)
{
	return sandbox_run_string(sb, chunkname, src, len, 0, err, errlen);
}

/* Reads the whole file into a malloc'ed buffer; a file larger than max
 * could not fit in the state anyway. */
static int sandbox_read_file(const char *path, size_t max, char **out,
			     size_t *outlen, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;
	int rc = -1;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if ((unsigned long)size > max) {
		snprintf(err, errlen, "%s is too large (%ld bytes, limit %zu)",
			 path, size, max);
		goto out;
	}
	buf = malloc(size ? (size_t)size : 1);
	if (!buf) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 ferror(f) ? strerror(errno) : "file changed while reading");
		goto out;
	}
	*out = buf;
	*outlen = (size_t)size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

int sandbox_load_file(struct sandbox *sb, const char *path, char *err,
		      size_t errlen)
{
	return sandbox_run_file(sb, path, 0, err, errlen);
}

int sandbox_run_file(struct sandbox *sb, const char *path, int nresults, char *err,
		     size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char chunkname[256];
	char *src;
	size_t len;

	if (snprintf(chunkname, sizeof(chunkname), "@plugins/%s", base) >=
	    (int)sizeof(chunkname)) {
		snprintf(err, errlen, "file name too long: %s", path);
		return -1;
	}
	if (sandbox_read_file(path, sb->lim.memory_bytes, &src, &len, err, errlen) != 0)
		return -1;
	const int rc = sandbox_run_string(sb, chunkname, src, len, nresults, err, errlen);
	free(src);
	return rc;
}
