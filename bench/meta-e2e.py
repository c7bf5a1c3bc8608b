#!/usr/bin/env python3
"""meta-e2e.py - render official-format pages (Nghị định 30/2020/NĐ-CP layout)
and non-official pages with known metadata, for bench/meta-e2e.sh and
tests/integration/meta.sh.  python3 stdlib + ImageMagick (pango coder).

  meta-e2e.py OUTDIR [--set bench|test] [--font FAMILY]

Writes OUTDIR/NAME.png (300 DPI unless the degradation says otherwise) and
OUTDIR/truth.tsv: name, doc, kind (official|other), degradation, number,
type, issued, agency, subject, signer ("" = the field must stay empty).

Layout of an official page (Phụ lục I): left header column (parent agency,
issuing agency in bold, short rule, "Số: N/SYM", for a công văn the "V/v"
summary), right column (Quốc hiệu, Tiêu ngữ, rule, italic place and date),
then the centred type name and summary, "Kính gửi" when the type has one,
body paragraphs from NĐ 30's own text, and the signature block ("Nơi nhận"
left, authority, title, "(Đã ký)" and name right).
"""
import argparse
import html
import os
import subprocess
import sys

DPI = 300
TEXT_W = 6.3  # inches: A4 less 30 mm left and 20 mm right margins

AGENCIES = [  # (header lines, expected OrganName, issuer code)
    (["ỦY BAN NHÂN DÂN", "TỈNH NAM ĐỊNH"], "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH", "UBND"),
    (["UBND TỈNH THÁI BÌNH", "SỞ NỘI VỤ"], "SỞ NỘI VỤ", "SNV"),
    (["BỘ NỘI VỤ"], "BỘ NỘI VỤ", "BNV"),
    (["UBND TỈNH NINH BÌNH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"], "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT"),
    (["HỘI ĐỒNG NHÂN DÂN", "TỈNH HÀ NAM"], "HỘI ĐỒNG NHÂN DÂN TỈNH HÀ NAM", "HĐND"),
    (["UBND HUYỆN HẢI HẬU", "PHÒNG NỘI VỤ"], "PHÒNG NỘI VỤ", "PNV"),
    (["UBND TỈNH NAM ĐỊNH", "SỞ TÀI CHÍNH"], "SỞ TÀI CHÍNH", "STC"),
    (["ỦY BAN NHÂN DÂN", "THÀNH PHỐ NAM ĐỊNH"], "ỦY BAN NHÂN DÂN THÀNH PHỐ NAM ĐỊNH", "UBND"),
]
PLACES = {0: "Nam Định", 1: "Thái Bình", 2: "Hà Nội", 3: "Ninh Bình", 4: "Hà Nam",
          5: "Hải Hậu", 6: "Nam Định", 7: "Nam Định"}
SIGN = {  # agency index -> (authority lines, name)
    0: (["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "Trần Văn Hùng"),
    1: (["GIÁM ĐỐC"], "Nguyễn Thị Lan"),
    2: (["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"], "Vũ Đăng Minh"),
    3: (["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"], "Phạm Quốc Khánh"),
    4: (["TM. HỘI ĐỒNG NHÂN DÂN", "CHỦ TỊCH"], "Lê Thị Thủy"),
    5: (["TRƯỞNG PHÒNG"], "Đoàn Văn Thắng"),
    6: (["GIÁM ĐỐC"], "Hoàng Minh Đức"),
    7: (["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "Ngô Thanh Sơn"),
}
# (type name, code or None for công văn, agency, number, day, month, year,
#  subject lines, kính gửi)
DOCS = [
    ("Quyết định", "QĐ", 0, 512, 15, 3, 2021,
     ["Về việc ban hành Quy chế quản lý văn bản điện tử", "trên môi trường mạng"], None),
    ("Công văn", None, 1, 1234, 8, 11, 2022,
     ["hướng dẫn lập hồ sơ và nộp lưu hồ sơ", "vào Lưu trữ cơ quan"], "Các cơ quan, đơn vị trong tỉnh"),
    ("Báo cáo", "BC", 2, 7, 20, 1, 2023,
     ["Kết quả thực hiện công tác văn thư năm 2022"], None),
    ("Kế hoạch", "KH", 3, 45, 3, 2, 2021,
     ["Chuyển đổi số tỉnh Ninh Bình năm 2021"], None),
    ("Nghị quyết", "NQ", 4, 20, 10, 12, 2020,
     ["Về dự toán ngân sách địa phương năm 2021"], None),
    ("Thông báo", "TB", 5, 36, 25, 6, 2021,
     ["Kết luận của Trưởng phòng tại cuộc họp giao ban tháng 6"], None),
    ("Tờ trình", "TTr", 6, 88, 14, 9, 2022,
     ["Về việc phê duyệt dự toán kinh phí số hóa tài liệu lưu trữ"], "Ủy ban nhân dân tỉnh Nam Định"),
    ("Chỉ thị", "CT", 7, 5, 2, 4, 2019,
     ["Về tăng cường công tác văn thư, lưu trữ", "trên địa bàn thành phố"], None),
    ("Hướng dẫn", "HD", 1, 12, 30, 5, 2023,
     ["Thực hiện chế độ báo cáo thống kê ngành Nội vụ"], None),
    ("Công văn", None, 3, 2150, 19, 10, 2021,
     ["triển khai chữ ký số chuyên dùng", "cho cán bộ, công chức"], "Các sở, ban, ngành; UBND các huyện, thành phố"),
    ("Chương trình", "CTr", 0, 3, 11, 1, 2022,
     ["Công tác trọng tâm năm 2022"], None),
    ("Phương án", "PA", 6, 17, 28, 2, 2020,
     ["Sắp xếp kho lưu trữ và chỉnh lý tài liệu tồn đọng"], None),
    ("Đề án", "ĐA", 7, 9, 7, 7, 2018,
     ["Xây dựng chính quyền điện tử thành phố Nam Định", "giai đoạn 2018 - 2020"], None),
    ("Giấy mời", "GM", 5, 41, 4, 8, 2021,
     ["Dự hội nghị tập huấn nghiệp vụ văn thư, lưu trữ"], None),
    ("Công văn", None, 2, 4876, 22, 9, 2020,
     ["góp ý dự thảo Thông tư hướng dẫn quản lý văn bản điện tử"], "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương"),
    ("Quyết định", "QĐ", 3, 1108, 16, 12, 2022,
     ["Về việc công bố danh mục thủ tục hành chính", "lĩnh vực thông tin và truyền thông"], None),
    ("Báo cáo", "BC", 4, 152, 5, 11, 2021,
     ["Thẩm tra dự thảo nghị quyết về kế hoạch đầu tư công"], None),
    ("Kế hoạch", "KH", 1, 230, 9, 3, 2024,
     ["Kiểm tra công tác văn thư, lưu trữ năm 2024"], None),
]

BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Văn bản phải được soạn thảo và ban hành đúng thẩm quyền, trình tự, thủ tục, hình thức, thể thức "
    "và kỹ thuật trình bày theo quy định của pháp luật. Văn bản điện tử được ký số bởi người có thẩm "
    "quyền và ký số của cơ quan, tổ chức theo quy định của pháp luật.",
    "Người đứng đầu cơ quan, tổ chức có trách nhiệm chỉ đạo công tác văn thư, chỉ đạo việc nghiên cứu, "
    "ứng dụng khoa học và công nghệ vào công tác văn thư; các đơn vị, cá nhân có liên quan chịu trách "
    "nhiệm thực hiện nghiêm túc nội dung này./.",
]
RECIPIENTS = ["- Như trên;", "- Lưu: VT, VP."]

NONOFFICIAL = {
    "news": ("Nam Định đẩy mạnh ứng dụng Công nghệ thông tin trong hoạt động của các cơ quan nhà nước\n"
             "14:56' 20/5/2016\n"
             "(sotttt.namdinh.gov.vn) Trong những năm qua, việc ứng dụng CNTT trong hoạt động của các cơ "
             "quan nhà nước trên địa bàn tỉnh được triển khai tích cực và hiệu quả. Năm 2016, tỉnh Nam Định "
             "xác định xây dựng Chính phủ điện tử là nhiệm vụ trọng tâm, then chốt.\n"
             "Thực hiện Quyết định số 512/QĐ-UBND ngày 15 tháng 3 năm 2016 của Ủy ban nhân dân tỉnh, Sở "
             "Thông tin và Truyền thông đã lựa chọn phần mềm iOffice do tập đoàn Bưu chính Viễn thông cung "
             "cấp. Khi thực hiện phần mềm này, mọi thao tác liên quan đến văn bản đều được xử lý trên mạng.\n"
             "Số đầu tiên của chương trình IT Today được phát sóng đúng dịp kỷ niệm ngày sinh nhật Bác, "
             "19/5/2016."),
    "letter": ("Dear Ms. Nguyen,\n"
               "Thank you for your letter of 12 March 2021 about the digitisation of the provincial archive. "
               "Our team has reviewed the sample of scanned records you sent, including Decision No. "
               "512/QD-UBND and the official letter on electronic signatures.\n"
               "We would be glad to visit Nam Dinh in May to discuss the project plan, the training of the "
               "records staff and the evaluation of the OCR accuracy on Vietnamese documents.\n"
               "Yours sincerely,\nJohn Smith\nDirector, Records Programme"),
    "table": ("SỔ ĐĂNG KÝ VĂN BẢN ĐI - QUÝ I NĂM 2021\n"
              "STT | Số, ký hiệu | Ngày tháng | Tên loại và trích yếu | Người ký\n"
              "1 | 12/QĐ-UBND | 05/01/2021 | Quyết định về việc kiện toàn Ban chỉ đạo | Trần Văn Hùng\n"
              "2 | 45/KH-UBND | 03/02/2021 | Kế hoạch chuyển đổi số năm 2021 | Phạm Văn Bình\n"
              "3 | 230/UBND-VP | 18/02/2021 | Công văn về việc báo cáo tình hình | Trần Văn Hùng\n"
              "4 | 512/QĐ-UBND | 15/3/2021 | Quyết định ban hành Quy chế văn thư | Ngô Thanh Sơn\n"
              "Tổng số: 4 văn bản"),
    "minutes": ("GHI CHÉP CUỘC HỌP NHÓM DỰ ÁN\n"
                "Thời gian: 9 giờ ngày 12 tháng 4 năm 2022, tại phòng họp tầng 3.\n"
                "Thành phần: anh Minh, chị Hoa, anh Tuấn và đại diện nhà thầu.\n"
                "Nội dung: nhóm thống nhất hoàn thành việc số hóa hồ sơ nhân sự trước cuối tháng 5; nhà "
                "thầu bổ sung máy quét và hai kỹ thuật viên; chị Hoa tổng hợp danh mục hồ sơ còn thiếu.\n"
                "Cuộc họp kết thúc lúc 11 giờ cùng ngày."),
}


def run(cmd):
    """run an ImageMagick command; its pango coder now and then dies of
    SIGABRT under load, so a command killed by a signal is retried twice"""
    for _ in range(3):
        rc = subprocess.run(cmd).returncode
        if rc >= 0:
            break
    if rc != 0:
        raise subprocess.CalledProcessError(rc, cmd)


def esc(s):
    return html.escape(s, quote=False)


def build(d):
    tname, code, ai, num, day, month, year, subj, kg = d
    lines, organ, issuer = AGENCIES[ai]
    number = "%02d/%s" % (num, issuer if code is None else "%s-%s" % (code, issuer))
    place = PLACES[ai]
    date = "%s, ngày %02d tháng %02d năm %d" % (place, day, month, year) if month <= 2 else \
        "%s, ngày %02d tháng %d năm %d" % (place, day, month, year)
    auth, signer = SIGN[ai]
    left = []
    for i, l in enumerate(lines):
        left.append("<b>%s</b>" % esc(l) if i == len(lines) - 1 else esc(l))
    left.append("_______")
    left.append("Số: %s" % esc(number))
    if code is None:
        # trích yếu of a công văn: 12-13 pt like the number line (Phụ lục I)
        left.append("V/v %s" % esc(subj[0]))
        left += [esc(s) for s in subj[1:]]
    right = ["<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", "<b>Độc lập - Tự do - Hạnh phúc</b>",
             "_____________________", "<i>%s</i>" % esc(date)]
    middle = []
    if code is not None:
        middle.append("<b>%s</b>" % esc(tname.upper()))
        middle += ["<b>%s</b>" % esc(s) for s in subj]
        middle.append("_______")
    if kg:
        middle.append("Kính gửi: %s." % esc(kg))
    sig_r = ["<b>%s</b>" % esc(a) for a in auth] + ["", "<i>(Đã ký)</i>", "", "<b>%s</b>" % esc(signer)]
    sig_l = ["<b><i>Nơi nhận:</i></b>"] + ["<span size='smaller'>%s</span>" % esc(r) for r in RECIPIENTS]
    truth = {"number": number, "type": tname, "issued": "%04d-%02d-%02d" % (year, month, day),
             "agency": organ, "subject": " ".join(subj), "signer": signer}
    return (left, right, middle, sig_l, sig_r), truth


def pango(markup, width_px, align, dpi, size, out, justify=False):
    """render one block to its own file: ImageMagick's -gravity would also
    turn pango's text gravity (upside-down text), so blocks never share a
    command line with the composition"""
    # ImageMagick 6.9.11's pango coder lays out at 96 DPI by default and
    # scales the wrap width (-size) by density/96: render at 96 DPI with the
    # point size scaled by dpi/96, so that an N pt font is N/72 inch tall
    # at dpi and the wrap width is width_px, then set the density.  (Points
    # scaled by dpi/72 at the default density drew every font a third too
    # large, and the 12 pt Quốc hiệu wrapped in its column, which it does
    # not in the decree's layout.)
    args = ["convert", "-density", "96", "-size", "%dx" % width_px, "-define", "pango:align=%s" % align]
    if justify:
        args += ["-define", "pango:justify=true"]
    body = "<span foreground='black' background='white' font='%s %.2f'>%s</span>" % (FONT, size * dpi / 96.0, markup)
    run(args + ["pango:" + body, "-background", "white", "-flatten", "-density", str(dpi),
         "-units", "PixelsPerInch", out])
    return out


def render_official(parts, out, dpi):
    left, right, middle, sig_l, sig_r = parts
    W = int(TEXT_W * dpi)
    lw, rw = int(W * 0.40), W - int(W * 0.40)
    t = out + ".%s.png"
    hl = pango("\n".join(left), lw, "center", dpi, 12, t % "hl")
    hr = pango("\n".join(right), rw, "center", dpi, 12, t % "hr")
    body = pango("\n".join(esc(p) for p in BODY), W, "left", dpi, 13, t % "body", justify=True)
    sl = pango("\n".join(sig_l), lw, "left", dpi, 12, t % "sl")
    sr = pango("\n".join(sig_r), rw, "center", dpi, 13, t % "sr")
    tmps = [hl, hr, body, sl, sr]
    gap = ["(", "-size", "%dx%d" % (W, dpi // 5), "xc:white", ")"]
    a = ["convert", "-density", str(dpi), "-units", "PixelsPerInch", "-background", "white",
         "-gravity", "north", "(", hl, hr, "+append", ")"] + gap
    if middle:
        tmps.append(pango("\n".join(middle), W, "center", dpi, 13, t % "mid"))
        a += [tmps[-1]] + gap
    a += [body] + gap + ["(", sl, sr, "+append", ")", "-gravity", "northwest", "-append", "+repage"]
    a += margins(dpi) + [out]
    run(a)
    for f in tmps:
        os.unlink(f)


def margins(dpi):
    return ["-gravity", "northwest", "-splice", "%dx%d" % (int(1.18 * dpi), int(0.79 * dpi)),
            "-gravity", "southeast", "-splice", "%dx%d" % (int(0.79 * dpi), int(0.79 * dpi)),
            "+repage", "-flatten", "-depth", "8", "-type", "Grayscale"]


def render_other(text, out, dpi, mono=False):
    global FONT
    W = int(TEXT_W * dpi)
    font = "DejaVu Sans Mono" if mono else FONT
    keep, FONT = FONT, font
    try:
        pango(esc(text), W, "left", dpi, 10 if mono else 13, out + ".b.png")
    finally:
        FONT = keep
    run(["convert", "-density", str(dpi), "-units", "PixelsPerInch", "-background",
         "white", out + ".b.png"] + margins(dpi) + [out])
    os.unlink(out + ".b.png")


def degrade(src, deg, out, i):
    if deg in ("clean", "dpi150"):
        os.replace(src, out)
        return
    if deg == "skew":
        ang = 3 if i % 2 == 0 else -3
        cmd = ["convert", src, "-background", "white", "-rotate", str(ang), "-depth", "8", out]
    elif deg == "noisy":
        cmd = ["convert", "-seed", str(7 + i), src, "-attenuate", "3", "+noise", "Gaussian",
               "-depth", "8", "-type", "Grayscale", out]
    elif deg == "jpeg":
        cmd = ["convert", src, "-quality", "20", out]
    run(cmd)
    os.unlink(src)


def main():
    global FONT
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--set", default="bench")
    ap.add_argument("--font", default="Liberation Serif")
    a = ap.parse_args()
    FONT = a.font
    os.makedirs(a.out, exist_ok=True)
    if a.set == "test":
        docs = [DOCS[0], DOCS[1]]
        degs = ["clean"]
        others = {"news": NONOFFICIAL["news"]}
        odegs = ["clean"]
    else:
        docs = DOCS
        degs = ["clean", "skew", "noisy", "dpi150", "jpeg"]
        others = NONOFFICIAL
        odegs = ["clean", "noisy"]
    rows = []
    cols = ["number", "type", "issued", "agency", "subject", "signer"]
    for i, d in enumerate(docs):
        parts, truth = build(d)
        doc = "d%02d" % i
        for deg in degs:
            name = "%s_%s" % (doc, deg)
            dpi = 150 if deg == "dpi150" else DPI
            tmp = os.path.join(a.out, name + ".tmp.png")
            render_official(parts, tmp, dpi)
            ext = ".jpg" if deg == "jpeg" else ".png"
            degrade(tmp, deg, os.path.join(a.out, name + ext), i)
            rows.append([name, doc, "official", deg] + [truth[c] for c in cols])
    for k, text in others.items():
        for deg in odegs:
            name = "o_%s_%s" % (k, deg)
            tmp = os.path.join(a.out, name + ".tmp.png")
            render_other(text, tmp, DPI, mono=(k == "table"))
            degrade(tmp, deg, os.path.join(a.out, name + ".png"), 0)
            rows.append([name, k, "other", deg] + [""] * len(cols))
    with open(os.path.join(a.out, "truth.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(["name", "doc", "kind", "degradation"] + cols) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print("%d pages in %s" % (len(rows), a.out))


if __name__ == "__main__":
    sys.exit(main())
