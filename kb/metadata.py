"""A document's metadata inferred from its text: title, issuer, region, level, date (成文日期), 文号.

Where each sits follows GB/T 9704-2012 and common practice (GENRE.md "Metadata"): the 发文机关标志
`X人民政府办公室文件`, the 发文字号 `X政办发〔2024〕17号`, the title `X关于印发…的通知`, the signature and
成文日期 at the end of the cover, a web page's information box (成文日期：…), a regulation's
`（…X令第N号公布…）` line. Region and level come from the issuer, else from the title.
The manifest overrides every value inferred here (kb/ingest.py). Word lists: kb/data/metadata.toml.

    python -m kb.metadata FILE …   prints what is inferred for each file, as JSON
"""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

DATA = tomllib.loads((Path(__file__).resolve().parent / "data" / "metadata.toml").read_text(encoding="utf-8"))
FIELDS = ("title", "issuer", "region", "level", "date", "doc_number")

HAN = "\u4e00-\u9fff"
_alt = lambda words: "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
ORG_END = re.compile(rf"(?:{_alt(DATA['org_suffixes'])})$")
PLACE_SUFFIX = _alt(DATA["place_levels"])
PLACE = re.compile(rf"(?:中共)?(?P<name>[{HAN}]{{1,10}}?)(?P<suffix>{PLACE_SUFFIX})")
NOT_PLACES = set(DATA["not_places"])
ETHNIC = re.compile(f"(?:{_alt(DATA['ethnic_groups'])})+$")
NOTICE_KIND = _alt(DATA["notice_kinds"])
TITLE_WORDS = re.compile(_alt(DATA["title_words"]))

CN_NUM = "〇○零一二三四五六七八九十"
DATE = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|[〇○零一二三四五六七八九]{{4}})\s*年\s*(?P<m>\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*月"
    rf"\s*(?P<d>\d{{1,2}}|[{CN_NUM}]{{1,3}})\s*日")
# 文号: prefix〔year〕number号, brackets as extraction leaves them; or an order number X令第N号.
DOC_NUMBER = re.compile(
    rf"(?P<prefix>[{HAN}]{{1,12}})\s*[〔\[【［（(]\s*(?P<year>(?:19|20)\d{{2}})\s*[〕\]】］）)]\s*(?P<no>\d{{1,4}})\s*号")
ORDER_NUMBER = re.compile(rf"(?P<prefix>[{HAN}]{{2,24}}?令)\s*(?:第\s*(?P<no>[\d{CN_NUM}百]{{1,5}})\s*号)")


# ---------------------------------------------------------------- small parsers

def _cn_int(s: str) -> int:
    """12 / 十二 / 二十 / 三十一 / 〇 -> int (month and day numbers)."""
    if s.isdigit():
        return int(s)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0}
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return int("".join(str(digits[c]) for c in s))


def iso_date(m: re.Match) -> str:
    """A DATE match in ISO form: 二〇二四年三月十八日 -> 2024-03-18; '' if it is not a real date."""
    try:
        y, mo, d = _cn_int(m.group("y")), _cn_int(m.group("m")), _cn_int(m.group("d"))
    except (KeyError, ValueError):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else ""


def is_org(s: str) -> bool:
    return 3 <= len(s) <= 40 and bool(ORG_END.search(s)) and not re.search(r"[，。；：:,;（）()《》“”]", s)


def split_orgs(s: str) -> list[str]:
    """Joint issuers written together: 珠海市民政局珠海市发展和改革局 -> [珠海市民政局, 珠海市发展和改革局]."""
    out = []
    for piece in re.split(r"[\s、，,]+", s.strip()):
        if not piece:
            continue
        m = PLACE.match(piece)
        cuts = [0]
        if m:  # a second organ of the same place starts where the place name recurs after an organ's end
            place = m.group("name") + m.group("suffix")
            for i in [k.start() for k in re.finditer(re.escape(place), piece)][1:]:
                if ORG_END.search(piece[cuts[-1]:i]):
                    cuts.append(i)
            for k in re.finditer("中共", piece):
                if k.start() > 0 and ORG_END.search(piece[cuts[-1]:k.start()]):
                    cuts.append(k.start())
        cuts = sorted(set(cuts)) + [len(piece)]
        out += [piece[a:b] for a, b in zip(cuts, cuts[1:]) if piece[a:b]]
    return out


def place_of(name: str) -> tuple[str, str, str]:
    """(region as users say it, full place name, level) of an issuer or title, from its leading place
    names: 青川县人民政府 -> (青川, 青川县, 县); X市Y区民政局 -> (Y, Y区, 区); ('', '', '') if none."""
    pos, found = 0, []
    name = re.sub(r"^(?:中共|中国共产党)", "", name)
    while len(found) < 3:
        m = PLACE.match(name, pos)
        if not m or m.group("name") + m.group("suffix") in NOT_PLACES or not _place_stem(m.group("name")) \
                or len(m.group("name")) == 1 and m.group("suffix") != "县":  # one-character places are counties (沛县)
            break
        found.append(m)
        pos = m.end()
    if not found:
        return "", "", ""
    # a lower level right after a higher one (X省Y市, X市Y区) names the lower place, if an organ follows
    m = found[0]
    for nxt in found[1:]:
        rest = name[nxt.end():]
        if re.match(rf"(?:人民政府|政府|党委|人大|委|[{HAN}]{{0,10}}(?:局|办|委员会|办公室|中心))", rest) or not rest:
            m = nxt
    full = m.group("name") + m.group("suffix")
    stem = ETHNIC.sub("", m.group("name")) or m.group("name")
    region = stem if len(stem) >= 2 else full  # 沛县 stays 沛县: one character is not a name users say
    return region, full, DATA["place_levels"][m.group("suffix")]


def _place_stem(stem: str) -> bool:
    return not re.search(r"(?:关于|印发|全面|贯彻|推进|加强|城乡|社区|建设|服务|各|本|全|我|某|该|此)", stem)


def normalise_doc_number(m: re.Match) -> str:
    prefix = m.group("prefix")
    # the prefix is the issuer's abbreviation; a run-in heading or title before it is not
    prefix = re.split(r"文件|通知|印发|方案|规划|办法|意见|决定|日|通过|公布|发布", prefix)[-1]
    return f"{prefix}〔{m.group('year')}〕{m.group('no')}号" if prefix else ""


# ---------------------------------------------------------------- the fields

def _lines(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        line = re.sub(r"^\s*(?:#{1,6}\s*|>\s*)", "", line).replace("**", "").strip()
        if line:
            out.append(line)
    return out


def labelled(raw: str, kind: str) -> str:
    """A value from an information box: `成文日期：2024年02月26日`, `| 文号： | 云政办发〔2024〕5号 |`."""
    for label in DATA["labels"][kind]:
        m = re.search(rf"(?:^|[|\s【\[])【?{label}】?\s*[:：]\s*(?:\|\s*)?\n?\s*([^|\n]{{2,120}})", raw)
        if m and m.group(1).strip():
            return m.group(1).strip()
    return ""


def find_doc_number(lines: list[str], raw: str) -> str:
    value = labelled(raw, "doc_number")
    if value:
        m = DOC_NUMBER.search(value) or ORDER_NUMBER.search(value)
        if m:
            return normalise_doc_number(m) if m.re is DOC_NUMBER else "".join(m.group(0).split())
    head = "\n".join(lines[:30])[:3000]
    for m in DOC_NUMBER.finditer(head):
        before = head[max(0, m.start() - 3):m.start()]
        if "》" in before or re.search(r"(?:根据|按照|依据|贯彻|落实|参照)[^。\n]{0,60}$", head[max(0, m.start() - 60):m.start()]):
            continue  # a document cited in the text, not this one's number
        number = normalise_doc_number(m)
        if number:
            return number
    for m in ORDER_NUMBER.finditer(head):  # 政府令: 安澜市人民政府令第15号
        prefix = re.split(r"[日年月号）)（(\s]", m.group("prefix"))[-1]
        if is_org(prefix[:-1]):
            return f"{prefix}第{m.group('no')}号"
    return ""


def _date_ok(text: str, m: re.Match) -> bool:
    after = text[m.end():m.end() + 4]
    before = text[max(0, m.start() - 3):m.start()]
    return not after.startswith(tuple(DATA["date_not_before"])) and not before.endswith(tuple(DATA["date_not_after"]))


def find_date(lines: list[str], raw: str) -> tuple[str, int]:
    """(ISO 成文日期, index of its line or -1). Order: the information box, a regulation's 公布 date,
    a line that is only a date (the cover's signature date), a line under the title in brackets,
    a date right after an organ's name, and last the 印发 date."""
    value = labelled(raw, "date")
    m = DATE.search(value) if value else None
    if m and iso_date(m):
        return iso_date(m), -1
    adopted = ("", -1)
    for i, line in enumerate(lines[:6]):  # a regulation's note under its title: （…通过 …公布 自…起施行）
        if not line.startswith(("（", "(")) and not DATE.match(line):
            continue
        for m in DATE.finditer(line):
            if re.match(rf"\s*[{HAN}]{{0,24}}(?:令第\s*[\d{CN_NUM}]+\s*号)?\s*(?:公布|发布)", line[m.end():]):
                return iso_date(m), i
            if not adopted[0] and re.match(rf"\s*[{HAN}]{{2,24}}第\s*[\d{CN_NUM}]+\s*次[{HAN}]{{0,8}}会议(?:审议)?通过",
                                           line[m.end():]):
                adopted = (iso_date(m), i)  # （…X人民政府第19次常务会议审议通过…）: when no 公布 date is given
    if adopted[0]:
        return adopted
    for i, line in enumerate(lines):
        m = DATE.search(line)
        if not m or not iso_date(m):
            continue
        rest = (line[:m.start()] + line[m.end():]).strip(" （）()")
        # only a date, or a date with the issuer and the 文号 beside it (a signature or an attribution line)
        if not rest or (len(line) <= 80 and not re.search(r"[。，；,;]", rest) and _date_ok(line, m)
                        and (is_org(rest.split()[0]) if rest.split() else False)):
            return iso_date(m), i
    joined = "\n".join(lines)
    for m in DATE.finditer(joined):
        if ORG_END.search(joined[max(0, m.start() - 8):m.start()]) and _date_ok(joined, m) and iso_date(m):
            return iso_date(m), joined[:m.start()].count("\n")
    for i, line in enumerate(lines):
        for m in DATE.finditer(line):
            if line[m.end():].strip().startswith("印发") and iso_date(m):
                return iso_date(m), i
    return "", -1


def find_title(lines: list[str], filename: str = "") -> str:
    head = lines[:25]
    # 发文 title: [organ]关于…的通知, possibly broken over two to four lines
    # it ends the line, or runs into the 文号, the 主送机关 (各…：) or the issued document (《)
    notice = re.compile(rf"(?P<t>[^\s。；：:〕\]】号《》|]{{0,60}}关于[^。；\n|]{{2,120}}?的(?:{NOTICE_KIND}))"
                        rf"(?=$|[^{HAN}]|[{HAN}]{{1,12}}\s*[〔\[【［]|各|《)")
    for i in range(len(head)):
        for span in range(1, 5):
            cand = "".join(head[i:i + span])
            m = notice.match(cand) if span > 1 else notice.search(cand)
            if m and (span == 1 or m.end() == len(cand)) and not cand[:m.start()].endswith("《"):
                return m.group("t")
            if span > 1 and len(cand) > 140:
                break
    for line in head[:5]:  # a title given in book-title marks
        m = re.fullmatch(r"《([^《》]{4,80})》", line)
        if m:
            return m.group(1)
    for line in head[:15]:
        if (len(line) <= 60 and TITLE_WORDS.search(line) and not re.search(r"[。；;]", line) and not line.endswith((":", "："))
                and not line.startswith("|") and not DOC_NUMBER.search(line) and not line.endswith("文件")
                and not re.match(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+[章条]", line)):
            return line
    if head:
        openings = "|".join(map(re.escape, DATA["body_openings"]))
        m = re.match(rf"^(.{{4,80}}?(?:{TITLE_WORDS.pattern}))(?={openings})", head[0])
        if m:
            return m.group(1)
    stem = Path(filename).stem if filename else ""
    if stem and TITLE_WORDS.search(stem) and re.search(f"[{HAN}]", stem):
        return stem
    return head[0][:40] if head else ""


def find_issuer(lines: list[str], raw: str, title: str, date_line: int) -> str:
    # 发文机关标志: X文件 (a line of its own, or run in before the 文号)
    for line in lines[:10]:
        m = re.match(rf"^(.{{3,80}}?)文件(?:$|\s*(?=[{HAN}]{{1,12}}\s*[〔\[【［]))", line)
        if m and all(is_org(o) for o in split_orgs(m.group(1))):
            return "、".join(split_orgs(m.group(1)))
    value = labelled(raw, "issuer")
    if value and all(is_org(o) for o in split_orgs(value)):
        return "、".join(split_orgs(value))
    m = re.match(r"^(.{3,60}?)关于", title)
    if m and all(is_org(o) for o in split_orgs(m.group(1))):
        return "、".join(split_orgs(m.group(1)))
    # an attribution line under the title: （临江市人民政府 2021年11月26日）, > X 文号 date
    for line in lines[1:4]:
        bare = DATE.sub(" ", DOC_NUMBER.sub(" ", line)).strip(" （）()")
        if bare and bare != line and all(is_org(o) for o in split_orgs(bare)):
            return "、".join(split_orgs(bare))
    # a regulation: …X令第N号公布 / X第N次常务会议通过
    for line in lines[:6]:
        m = re.search(rf"([{HAN}]{{3,30}}?)(?:令第|第[\d{CN_NUM}]+次常务会议)", line)
        if m:
            org = re.split(r"[日年月号]", m.group(1))[-1]
            if is_org(org):
                return org
    # the signature: the organ(s) on the line of the 成文日期 or just above it
    if date_line >= 0:
        here = DATE.sub("", lines[date_line]).strip(" （）()")
        for cand in ([here] if here else []) + ([lines[date_line - 1]] if date_line > 0 else []):
            orgs = split_orgs(cand)
            if orgs and all(is_org(o) for o in orgs):
                return "、".join(orgs)
    return ""


def infer(text: str, filename: str = "") -> dict:
    """{title, issuer, region, level, date, doc_number} inferred from a document's text ('' when unknown).

    `text` is the extracted text (kb.ingest.read_text) or the cleaned text; both work. Pass the extracted
    text where you have it: a web page's information box (成文日期：…) survives only there."""
    from .clean import clean_text

    raw = text
    lines = _lines(clean_text(text).text)
    doc_number = find_doc_number(lines, raw)
    date, date_line = find_date(lines, raw)
    title = labelled(raw, "title") or find_title(lines, filename)
    issuer = find_issuer(lines, raw, title, date_line)
    region, _full, level = place_of(issuer) if issuer else ("", "", "")
    if not region:
        region, _full, level = place_of(re.sub(r"^.*?关于(?:印发)?[《“]?", "", title)) if title else ("", "", "")
    if not region and title:
        region, _full, level = place_of(title)
    if not region and filename:  # an upload named after its place: 青川县助餐方案.docx
        region, _full, level = place_of(Path(filename).stem)
    return {"title": title, "issuer": issuer, "region": region, "level": level, "date": date, "doc_number": doc_number}


def region_names(region: str, issuer: str = "", title: str = "") -> list[str]:
    """Every name a region goes by: the name users say (青川) and the full place name (青川县)."""
    names = [n for n in re.split(r"[（）()、,，\s]+", region) if n]
    for source in (issuer, title):
        r, full, _ = place_of(source) if source else ("", "", "")
        if r and r in names and full not in names:
            names.append(full)
    return names


def main(argv: list[str]) -> int:
    from .ingest import IngestError, read_text

    if not argv:
        print("usage: python -m kb.metadata FILE [FILE …]", file=sys.stderr)
        return 2
    for name in argv:
        try:
            meta = infer(read_text(Path(name)), Path(name).name)
        except IngestError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        print(json.dumps({"file": name, **meta}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
