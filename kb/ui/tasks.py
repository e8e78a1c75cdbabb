"""责任分工 page: every task with its responsibility clause, searchable, exportable to CSV."""
from __future__ import annotations

from .table import TablePage

HEADERS = ["文件", "地区", "章节", "牵头单位", "配合单位", "责任条款"]


class TasksPage(TablePage):
    headers = HEADERS
    csv_name = "responsibilities.csv"
    elem = "kb-task"
    intro = "每一项带有责任分工（责任单位 / 牵头 / 配合）的任务。输入关键词筛选，多个词用空格分开，例如 `民政局 养老`。"
    placeholder = "按部门、地区、章节或条款内容筛选"
    noun, measure = "任务", "项"
    widths = ["14%", "7%", "22%", "14%", "14%", "29%"]

    def render(self) -> None:
        self.render_table()

    @staticmethod
    def items(engine) -> list:
        return engine.tasks

    @staticmethod
    def all_rows(engine) -> list[list[str]]:
        return [[t["title"], t["region"], t["section"], "、".join(t["lead"]), "、".join(t["partners"]), t["clause"]]
                for t in engine.tasks]

    def ready_outputs(self) -> list:
        return [self.table, self.count, self.download]

    def on_ready(self, engine) -> list:
        return list(self.update(""))
