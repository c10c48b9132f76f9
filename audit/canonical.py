"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) for hashing audit entries.

Pure: standard library only, so the offline verifier shares it. Objects sort their keys by UTF-16
code units, numbers follow ECMAScript's Number-to-String, strings escape only what JSON requires.
"""

from __future__ import annotations

import json
import math
from typing import Any

_encode_string = json.JSONEncoder(ensure_ascii=False).encode  # escapes exactly what RFC 8785 requires


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be")


def _number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and Infinity have no JSON form")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    # repr() gives the shortest round-tripping digits, as ECMAScript does; only the layout differs.
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    exp = int(exponent)
    digits = mantissa.replace(".", "").replace("-", "")
    sign = "-" if value < 0 else ""
    if -7 < exp < 21:
        # ECMAScript writes these without an exponent.
        point = exp + 1
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        return (
            f"{sign}{digits}{'0' * (point - len(digits))}"
            if point >= len(digits)
            else f"{sign}{digits[:point]}.{digits[point:]}"
        )
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{head}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _emit(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        _emit_object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _emit(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _emit_object(value: dict[Any, Any], out: list[str]) -> None:
    out.append("{")
    keys = list(value)
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"object keys must be strings, not {type(key).__name__}")
    # Code-point order equals UTF-16 order unless a key holds a character above U+FFFF.
    if any(max(k, default="\0") > "\uffff" for k in keys):
        keys.sort(key=_utf16_key)
    else:
        keys.sort()
    for index, key in enumerate(keys):
        if index:
            out.append(",")
        out.append(_encode_string(key))
        out.append(":")
        _emit(value[key], out)
    out.append("}")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 serialisation of ``value`` as UTF-8 bytes."""
    out: list[str] = []
    _emit(value, out)
    return "".join(out).encode("utf-8")
