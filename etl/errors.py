"""Expected failures: a Chinese message that says what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One rejected cell or row: where it is, what was found (masked if personal) and what to do."""

    file_name: str
    row_no: int | None
    column: str | None
    value: str | None
    message: str

    def describe(self) -> str:
        """``文件 x.csv 第 12 行，列「来电时间」，值 "2025-13-45"：无法识别的日期时间……``"""
        where = [f"文件 {self.file_name}"]
        if self.row_no is not None:
            where.append(f"第 {self.row_no} 行")
        text = " ".join(where)
        if self.column:
            text += f"，列「{self.column}」"
        if self.value not in (None, ""):
            text += f"，值 “{self.value}”"
        return f"{text}：{self.message}"


class LoadError(Exception):
    """A failure the user can fix. ``str()`` is the whole message; the first line is the summary."""

    def __init__(self, summary: str, problems: list[Problem] | None = None, total: int | None = None):
        self.summary = summary
        self.problems = list(problems or [])
        self.total = total if total is not None else len(self.problems)
        super().__init__(self.render())

    def render(self, limit: int = SHOWN_PROBLEMS) -> str:
        lines = [self.summary]
        lines.extend("  " + p.describe() for p in self.problems[:limit])
        if self.total > min(limit, len(self.problems)):
            lines.append(f"  还有 {self.total - min(limit, len(self.problems))} 处")
        return "\n".join(lines)
