"""The command line: build, search, ask, stats. `python -m kb --help` (or `kb --help` after `pip install -e .`).

Messages, help and output are in Chinese; flags stay in English. Subcommands are rows of COMMANDS
(name, help, arguments, function), so a new one is one function pair and one row.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import KBError, QueryError
from .logs import reason_zh
from .present import answer_json, hit_json, labelled_lines  # noqa: F401 - hit_json/answer_json: the JSON contract
from .settings import Settings

# ------------------------------------------------------------------ argparse in Chinese

# argparse's own phrases (Python 3.11), looked up through its module-level gettext `_`
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "expected one argument": "需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
}


def _zh(message: str) -> str:
    return _ARGPARSE_ZH.get(message, message)


# ------------------------------------------------------------------ batch files

def read_batch(path: str) -> list[tuple[object, str | None, str | None]]:
    """(id, question, error) per non-blank line; a line that is not a JSON object with a "question"
    gets an error and the others are still answered."""
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise QueryError(f"批量文件 {path} 不是 UTF-8 编码的文本（{exc.reason}）") from exc
    except OSError as exc:
        raise QueryError(f"无法读取批量文件 {path}：{exc.strerror or exc}") from exc
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            items.append((n, None, f"第 {n} 行不是有效的 JSON（{exc.msg}，第 {exc.colno} 列）"))
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
            qid = obj.get("id", n) if isinstance(obj, dict) else n
            items.append((qid, None, f"第 {n} 行缺少文本字段 \"question\"，应为 {{\"id\": ..., \"question\": \"...\"}}"))
            continue
        items.append((obj.get("id", n), obj["question"], None))
    return items


# ------------------------------------------------------------------ opening the index, with progress

class _Progress:
    """The engine's progress(fraction, desc) as one tqdm bar per step (读取文档, 向量化, 建立索引);
    the bar shows the whole build's percentage, the step's detail follows it."""

    def __init__(self, announce: str = ""):
        self.bar = None  # created on the first report, so loading a ready index prints nothing
        self.step = None
        self.announce = announce  # printed with the first report: only the process that really builds says so

    def __call__(self, frac: float, desc: str):
        from tqdm import tqdm

        if self.announce:
            print(self.announce, file=sys.stderr, flush=True)
            self.announce = ""
        step, _, detail = desc.partition(" ")
        if step != self.step:
            if self.bar is not None:  # the finished step's bar ends where the next one starts
                self.bar.update(max(0, int(frac * 100) - self.bar.n))
            self.close()
            if step == "完成":
                return
            self.step = step
            self.bar = tqdm(total=100, initial=int(frac * 100), desc=f"{step} {detail}".strip(), file=sys.stderr,
                            bar_format="{desc}：{percentage:3.0f}%|{bar}| [{elapsed}]")
        if self.bar is not None:
            self.bar.set_description_str(f"{step} {detail}".strip(), refresh=False)
            self.bar.update(max(0, int(frac * 100) - self.bar.n))

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def open_engine(args, rebuild: bool = False):
    from . import index as index_mod
    from .engine import Engine

    settings = Settings.load()
    reason = "rebuild requested" if rebuild else index_mod.staleness(settings)
    if reason:
        from .embedding import load_embedder

        # the model first (converted on the very first run, with its own bar), so that its bar does not
        # interleave with the build's; loaded once per process, the build reuses it
        load_embedder(settings)
    # (another process may be building right now: then this one waits, finds the index fresh and says nothing)
    progress = _Progress(f"信息：正在建立索引 —— {reason_zh(reason)}" if reason else "")
    try:
        return Engine.open(settings, progress=progress, rebuild=rebuild)
    finally:
        progress.close()


# ------------------------------------------------------------------ subcommands

def cmd_build(args) -> int:
    eng = open_engine(args, rebuild=args.rebuild)
    s = eng.stats()
    print(f"索引就绪：{s['documents']} 个文件，{s['passages']} 个段落，模型 {s['model']}，位置 {s['index_folder']}")
    for w in eng.warnings:
        print(f"警告：{w}", file=sys.stderr)
    return 0


def _filters(args) -> dict:
    return {"doc": args.doc, "region": args.region, "level": args.level}


def _each_question(args, desc: str, run, to_json, show, error_fields: dict) -> int:
    """One question or a --batch file: a bad line or question in a batch gets an "error" line, the rest go on."""
    from tqdm import tqdm

    if not args.batch and args.query is None:
        raise QueryError("请给出一个问题，或用 --batch FILE.jsonl 给出问题文件")
    items = read_batch(args.batch) if args.batch else [(None, args.query, None)]
    eng = open_engine(args)
    for qid, question, error in tqdm(items, desc=desc, file=sys.stderr, disable=len(items) < 2):
        if error is None:
            try:
                result = run(eng, question)
            except QueryError as exc:
                if not args.batch:
                    raise
                error = str(exc)
        if error is not None:
            print(json.dumps({"id": qid, "question": question, "error": error, **error_fields}, ensure_ascii=False),
                  flush=True)
            continue
        if args.json or args.batch:
            print(json.dumps(to_json(qid, question, result), ensure_ascii=False), flush=True)
        else:
            show(result)
    return 0


def _show_hits(hits) -> None:
    for h in hits:
        print(f"[{h.rank}] {h.score:.4f}  {h.passage.title}  |  {h.passage.section}\n    {h.passage.text}\n")
    if not hits:
        print("没有找到相关段落")


def _show_answer(ans) -> None:
    data = answer_json(None, ans.question, ans)
    print("\n".join(labelled_lines(ans.text, data["citations"])))
    for c in ans.citations:
        where = " · ".join(x for x in (c.passage.region, c.passage.title) if x)
        print(f"\n[{c.n}] {where} | {c.passage.section}\n    {c.passage.text}")
    for h in ans.related:
        print(f"\n可能相关：{h.passage.title} | {h.passage.section}\n    {h.passage.text}")


def cmd_search(args) -> int:
    return _each_question(
        args, "检索",
        lambda eng, q: eng.search(q, top_k=args.top_k, mode=args.mode, **_filters(args)),
        lambda qid, q, hits: {"id": qid, "question": q, "results": [hit_json(h) for h in hits]},
        _show_hits, {"results": []})


def cmd_ask(args) -> int:
    return _each_question(args, "回答", lambda eng, q: eng.ask(q, **_filters(args)), answer_json, _show_answer, {})


LEVEL_ZH = {"省": "省级", "市": "市级", "县": "县级"}


def cmd_stats(args) -> int:
    eng = open_engine(args)
    s = eng.stats()
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    print(f"文件：    {s['documents']} 个\n段落：    {s['passages']} 个\n模型：    {s['model']}（{s['dim']} 维）\n"
          f"索引：    {s['index_bytes'] / 1e6:.1f} MB，位于 {s['index_folder']}（建于 {s['built_at']}）\n"
          f"切分：    每段 {s['chunk_size']} 字，重叠 {s['chunk_overlap']} 字；FAISS 索引 {s['faiss_index']}")
    for d in eng.documents:
        bits = "，".join(b for b in (LEVEL_ZH.get(d.level, d.level), d.region, d.date) if b) or "元数据不全"
        print(f"  - {d.doc_id}：{d.title}（{bits}）")
    for w in eng.warnings:
        print(f"警告：{w}", file=sys.stderr)
    return 0


def cmd_outline(args) -> int:
    from .outline import outline, render

    o = outline(args.file)
    print(json.dumps(o, ensure_ascii=False, indent=1) if args.json else render(o))
    return 0


def _outline_args(p) -> None:
    p.add_argument("file", metavar="文件", help="一个政策文件（.txt .md .docx .pdf .html）")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def _query_args(p) -> None:
    p.add_argument("query", nargs="?", metavar="问题", help="要问的问题")
    p.add_argument("--batch", metavar="FILE.jsonl", help='问题文件：每行一个 {"id": ..., "question": "..."}')
    p.add_argument("--doc", help="只在这个文件中找（文件编号，见 stats）")
    p.add_argument("--region", help="只在这个地区的文件中找，例如 珠海")
    p.add_argument("--level", help="只在这一级别的文件中找：省、市 或 县")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def _build_args(p) -> None:
    p.add_argument("--rebuild", action="store_true", help="即使索引是最新的也从头重建")


def _search_args(p) -> None:
    _query_args(p)
    p.add_argument("--top-k", type=int, default=5, help="返回多少个段落（默认 5）")
    p.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid",
                   help="检索方式：hybrid 混合（默认）、bm25 关键词、dense 向量")


def _stats_args(p) -> None:
    p.add_argument("--json", action="store_true", help="输出 JSON")


# (name, help, add_arguments, run): one row per subcommand
COMMANDS = [
    ("build", "从 corpus/ 建立或更新索引 index/", _build_args, cmd_build),
    ("search", "检索与问题最相关的段落", _search_args, cmd_search),
    ("ask", "回答问题，并标注出处 [n]", _query_args, cmd_ask),
    ("stats", "知识库概况：文件、段落、模型、索引大小", _stats_args, cmd_stats),
    ("outline", "显示对一个文件的理解（标题层级、任务与责任单位、目标），不建索引", _outline_args, cmd_outline),
]


def parser() -> argparse.ArgumentParser:
    argparse._ = _zh
    prog = "kb" if Path(sys.argv[0]).name == "kb" else "python -m kb"
    ap = argparse.ArgumentParser(prog=prog, description="社区服务政策知识库：检索和询问政策文件",
                 epilog="例如：python -m kb ask \"老年人助餐服务由哪些部门负责？\"")
    ap.add_argument("-v", "--verbose", action="store_true", help="显示更多运行信息")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="<命令>", title="命令")
    for name, help_text, add_arguments, run in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(func=run)
    return ap


def main(argv: list[str] | None = None) -> int:
    from . import logs
    from .offline import stay_offline

    args = parser().parse_args(argv)
    stay_offline()  # before anything imports huggingface_hub / transformers
    logs.setup(verbose=args.verbose)
    try:
        return args.func(args)
    except KBError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.exit_code
    except FileNotFoundError as exc:
        print(f"错误：找不到文件 {exc.filename or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
