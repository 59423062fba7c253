"""Compile each Jinja template once per run, not once per render in every worker.

ansible-core 2.19 compiles a template (lexer, parser, Python code generation, `compile()`) each
time it renders one: Environment.from_string keeps no cache, and the worker processes forked per
task and host start from an empty memory. An audit rendered about 3,000 templates per host, 600
of them different: 3.4 s of control-node CPU per host (issue 25; docs/performance.md).

Here the compiled code objects are kept in the process's memory and written to the run's private
temporary directory (ansible-core's local_tmp, mode 0700, removed when the run ends), where the
other workers of the run find them. The key is the template's text and everything else the
compiled code depends on (the environment's syntax settings, the backslash-escaping mode, the
Python, Jinja and ansible-core versions), so a template is never run from another's code. Nothing
else changes: the Template object is built from the code as before, rendering is untouched, and if
a later ansible-core or Jinja has not the same insides, or the directory cannot be used, templates
are compiled as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import threading
import types
from typing import Any

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: jinja_compile_cache
type: aggregate
short_description: compile each Jinja template once per run
description:
  - Keeps the code objects of compiled Jinja templates in memory and in the run's private
    temporary directory, so that the workers of a run compile a template once instead of at
    every render.
"""

_SYNTAX_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "autoescape",
    "is_async",
)

_memory: dict[str, types.CodeType] = {}
_expression = threading.local()


def _versions() -> str:
    import jinja2
    from ansible.release import __version__

    return f"{sys.version}|{jinja2.__version__}|{__version__}"


def _cache_directory() -> str | None:
    from ansible import constants

    base = getattr(constants, "DEFAULT_LOCAL_TMP", None)
    if not base or not os.path.isdir(base):
        return None
    status = os.stat(base)
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        return None  # not the run's own private directory: never run code read from it
    directory = os.path.join(base, "jinja_code")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return directory


def _key(env: Any, kind: str, source: str, name: Any, filename: Any, defer_init: bool) -> str:
    from ansible._internal._templating._jinja_bits import _TemplateCompileContext

    context = _TemplateCompileContext.current(optional=True)
    settings = tuple(repr(getattr(env, setting, None)) for setting in _SYNTAX_SETTINGS)
    parts = (
        _VERSIONS,
        type(env).__module__,
        type(env).__qualname__,
        env.code_generator_class.__qualname__,
        repr(sorted(env.extensions)),
        repr(getattr(env.finalize, "__qualname__", env.finalize)),
        repr(settings),
        repr(bool(context and context.escape_backslashes)),
        kind,
        repr(name),
        repr(filename),
        repr(defer_init),
    )
    digest = hashlib.sha256("\x00".join(parts).encode())
    digest.update(b"\x00")
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _load(key: str) -> types.CodeType | None:
    code = _memory.get(key)
    if code is not None or _DIRECTORY is None:
        return code
    try:
        with open(os.path.join(_DIRECTORY, key), "rb") as stored:
            code = marshal.loads(stored.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(code, types.CodeType):
        return None
    _memory[key] = code
    return code


def _store(key: str, code: types.CodeType) -> None:
    _memory[key] = code
    if _DIRECTORY is None:
        return
    path = os.path.join(_DIRECTORY, key)
    partial = f"{path}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(partial, "wb") as stored:
            stored.write(marshal.dumps(code))
        os.replace(partial, path)  # whole or not at all: another worker may be reading
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial)


def _install() -> bool:
    from ansible._internal._templating._jinja_bits import AnsibleEnvironment
    from jinja2 import nodes
    from jinja2.utils import internalcode

    original_compile = AnsibleEnvironment.compile
    original_compile_expression = AnsibleEnvironment.compile_expression

    @internalcode
    def compile(
        self: Any,
        source: Any,
        name: Any = None,
        filename: Any = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        expression = getattr(_expression, "source", None)
        _expression.source = None
        if raw or self._debuggable_template_source:
            return original_compile(self, source, name, filename, raw, defer_init)
        if isinstance(source, str):
            kind, text = "template", source
        elif isinstance(source, nodes.Template) and expression is not None:
            kind, text = "expression", expression
        else:
            return original_compile(self, source, name, filename, raw, defer_init)
        try:
            key = _key(self, kind, text, name, filename, defer_init)
        except Exception:  # an optimisation must never cost a run
            return original_compile(self, source, name, filename, raw, defer_init)
        code = _load(key)
        if code is None:
            code = original_compile(self, source, name, filename, raw, defer_init)
            if isinstance(code, types.CodeType):
                _store(key, code)
        return code

    def compile_expression(self: Any, source: str, *args: Any, **kwargs: Any) -> Any:
        _expression.source = source if isinstance(source, str) else None
        try:
            return original_compile_expression(self, source, *args, **kwargs)
        finally:
            _expression.source = None

    AnsibleEnvironment.compile = compile
    AnsibleEnvironment.compile_expression = compile_expression
    return True


try:
    _VERSIONS = _versions()
    _DIRECTORY = _cache_directory()
    _INSTALLED = _install()
except Exception:  # another ansible-core: templates are compiled as usual
    _DIRECTORY = None
    _INSTALLED = False


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "jinja_compile_cache"
    CALLBACK_NEEDS_ENABLED = False
