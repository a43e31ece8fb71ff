"""The officer's help for the ribbon buttons and worksheet functions (one text, two places).

Shown by the Hướng dẫn button and written on the workbook's Hướng dẫn sheet; the long form
with examples is docs/addin-functions.md.
"""

from __future__ import annotations

TAB = "Thi đua – Khen thưởng"

BUTTONS = (
    ("Kiểm tra", "soát sổ điểm của khối (ô trống, điểm vượt mức tối đa, thiếu phiếu chấm, phiếu gửi muộn); "
                 "kết quả ở trang «Kiểm tra»."),
    ("Gộp phiếu", "chọn các tệp phiếu chấm của đơn vị để gộp vào sổ điểm."),
    ("Tính điểm", "tính điểm và xếp hạng theo hồ sơ quy tắc; kết quả ở các trang «Xếp hạng», "
                  "«Danh sách thẩm định», «Kiểm tra», «Kiểm chứng» và cột Hạng của «Tổng hợp»."),
    ("Danh sách thẩm định", "lập danh sách đơn vị xếp thứ nhất, nhì, ba (chỉ đơn vị đủ điều kiện)."),
    ("Hoàn tác", "trả sổ điểm về trạng thái trước lần bấm nút gần nhất."),
)

FUNCTIONS = (
    ("TDKT_DIEM(tu_cham; cham_cheo)", "điểm của đơn vị = (tự chấm + tổng chấm chéo) / N, làm tròn 2 chữ số."),
    ("TDKT_XEPHANG(diem; bang_diem; [khoá phụ…])", "hạng = 1 + số đơn vị đứng trên hẳn; bằng điểm thì so các "
                                                  "khoá phụ (cặp giá trị của đơn vị, cột của cả khối)."),
    ("TDKT_XEPLOAI(diem; nguong)", "mức xếp loại cao nhất mà điểm đạt tới, theo bảng 2 cột (tên mức, điểm tối "
                                   "thiểu)."),
    ("TDKT_TOP3(don_vi; diem)", "bảng ba đơn vị điểm cao nhất (Hạng, Đơn vị, Điểm, Ghi chú); bằng điểm ở vị trí "
                                "thứ ba thì đưa vào tất cả."),
)

NOTES = (
    "Ô trống không phải điểm 0; điểm được làm tròn 2 chữ số theo kiểu ROUND của Excel (nửa xa số 0).",
    "Dữ liệu sai thì ô hiện câu bắt đầu bằng «#TDKT:» nói rõ sai ở đâu. Chi tiết: docs/addin-functions.md.",
)


def help_text() -> str:
    """The Hướng dẫn message box."""
    lines = [f"Các nút trên thẻ «{TAB}»:", ""]
    lines += [f"• {label}: {text}" for label, text in BUTTONS]
    lines += ["", "Hàm dùng trong ô:"]
    lines += [f"• {name}: {text}" for name, text in FUNCTIONS]
    lines += ["", *NOTES]
    return "\n".join(lines)
