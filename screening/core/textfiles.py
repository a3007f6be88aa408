"""Text files a clinic puts in the instance folder: UTF-8, read once at start-up.

A file saved in another encoding (Windows-1251, UTF-16 from Notepad) must stop start-up with a
message naming the file and the problem, not fail later on every request that shows it. A UTF-8
byte-order mark, which some editors write, is accepted and removed.
"""

from __future__ import annotations

from pathlib import Path

UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


class InstanceFileError(RuntimeError):
    """A file in the instance folder cannot be used; the message names it and says why."""


def read_utf8(path: Path) -> str:
    """The file's text; ValueError saying what is wrong if it is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if data.startswith(UTF16_MARKS) or b"\x00" in data[:200]:
            looks_like = "it looks like UTF-16"
        else:
            looks_like = "perhaps Windows-1251 or another single-byte encoding"
        raise ValueError(
            f"{path} is not UTF-8 ({looks_like}): byte 0x{data[error.start]:02x} at position "
            f"{error.start} cannot be read. Save it as UTF-8 and start again."
        ) from error
