"""Markdown rendering of a Report, with its images written to a folder beside the file."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from simulation.report.document import Bullets, Image, Para, Report, Table, escape

# Characters that make Markdown inline syntax (links, images, emphasis, code, tables, strikethrough) are escaped
# everywhere, block markers at the start of the text: user text can never become ``[x](javascript:…)``, a remote
# ``![](https://…)`` image, an ``<auto link>`` (< is HTML-escaped) or a heading/list/quote.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK = re.compile(r"^(\s*)(\d*)([#>+.)-])")


def md_text(text: str) -> str:
    """Plain text safe in Markdown: control characters dropped, HTML escaped, markers escaped, newlines folded."""
    out = _MD_INLINE.sub(r"\\\1", escape(text, quote=False)).replace("\n", " ")
    return _MD_BLOCK.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3)
                         if m.group(2) or m.group(3) in "#>+-" else m.group(0), out)


def render_markdown(report: Report, images_dir_name: str) -> str:
    out = [f"# {md_text(report.title)}", "", f"*{md_text(report.subtitle)}*", ""]
    for s in report.sections:
        out += [f"## {md_text(s.title)}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                text = md_text(b.text)
                if b.style in ("ok", "bad"):
                    text = f"> **{text}**"
                elif b.style == "note":
                    text = f"*{text}*"
                elif b.style == "lead":
                    text = f"**{text}**" if len(text) < 120 else text
                out += [text, ""]
            elif isinstance(b, Bullets):
                out += [f"- {md_text(i)}" for i in b.items] + [""]
            elif isinstance(b, Table):
                if b.caption:
                    out += [f"**{md_text(b.caption)}**", ""]
                out.append("| " + " | ".join(md_text(h) for h in b.headers) + " |")
                out.append("|" + "|".join("---:" if j in b.numeric else "---" for j in range(len(b.headers))) + "|")
                out += ["| " + " | ".join(md_text(c) for c in r) + " |" for r in b.rows]
                out.append("")
            elif isinstance(b, Image):
                target = quote(f"{images_dir_name}/{b.filename}")  # the folder is named after the user's file
                out += [f"![{md_text(b.caption)}]({target})", "", f"*{md_text(b.caption)}*", ""]
    return "\n".join(out) + "\n"


def write_markdown(report: Report, out: Path) -> list[Path]:
    """Write OUT.md and OUT_images/*; returns the files written."""
    images = out.with_name(out.stem + "_images")
    images.mkdir(parents=True, exist_ok=True)
    written = []
    for img in report.images():
        path = images / img.filename
        if img.svg is not None:
            path.write_text(img.svg, encoding="utf-8")
        else:
            path.write_bytes(img.png or b"")
        written.append(path)
    out.write_text(render_markdown(report, images.name), encoding="utf-8")
    return [out, *written]
