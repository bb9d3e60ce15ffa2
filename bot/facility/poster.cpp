#include "bot/facility/poster.hpp"

#include <string_view>

#include "bot/facility/qr.hpp"

namespace sapo::facility {

namespace {

/// Text for HTML element content and double- or single-quoted attribute values. NUL bytes, which
/// HTML parsers treat inconsistently, become U+FFFD.
std::string esc(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            case '\0': out += "\xEF\xBF\xBD"; break;
            default: out += c;
        }
    }
    return out;
}

constexpr std::string_view kStyle = R"CSS(
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #fff; color: #111; }
body {
  font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", "Hiragino Sans",
               "Yu Gothic", "YuGothic", "Meiryo", sans-serif;
  font-size: 10pt; line-height: 1.35;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
.page { width: 186mm; height: 272mm; margin: 0 auto; overflow: hidden; display: flex; flex-direction: column;
        page-break-inside: avoid; break-inside: avoid; }
.en { color: #444; font-size: 0.84em; }
header { background: #06c755; color: #fff; text-align: center; padding: 2.5mm 4mm 2mm; border-radius: 3mm; }
header h1 { margin: 0; font-size: 28pt; line-height: 1.1; letter-spacing: 0.05em; }
header h1 .en { display: block; color: #fff; font-size: 12pt; letter-spacing: 0; font-weight: normal; }
header p { margin: 1mm 0 0; font-size: 9.5pt; }
header p .en { color: #f0fff0; }
.facility { text-align: center; margin: 2.5mm 0 0; }
.facility .name, .facility .meta { overflow-wrap: anywhere; overflow: hidden; display: -webkit-box;
                                   -webkit-box-orient: vertical; -webkit-line-clamp: 2; line-clamp: 2; }
.facility .name { font-size: 19pt; font-weight: bold; line-height: 1.2; max-height: 2.4em; }
.facility .meta { font-size: 9.5pt; color: #333; max-height: 2.7em; }
.qr { text-align: center; margin: 0.5mm 0 0; }
.qr svg { width: 90mm; height: 90mm; display: block; margin: 0 auto; }
.qr .code-label { font-size: 8.5pt; color: #333; margin-top: -1mm; }
.qr .code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", "Menlo", "Consolas", monospace; font-size: 26pt;
            font-weight: bold; letter-spacing: 0.12em; line-height: 1.1; overflow-wrap: anywhere; }
.columns { display: flex; gap: 4mm; margin-top: 2mm; }
.columns section { border: 0.4mm solid #06c755; border-radius: 2.5mm; padding: 1.8mm 2.8mm; }
.columns .steps { flex: 0 0 44%; }
.columns .notes { flex: 1 1 auto; }
.columns h2 { margin: 0 0 1mm; font-size: 11.5pt; color: #05a046; }
.columns h2 .en { color: #05a046; font-weight: normal; }
ol, ul { margin: 0; padding-left: 4.5mm; }
li { margin: 0 0 1.2mm; }
li:last-child { margin-bottom: 0; }
li .en, .alt .en { display: block; line-height: 1.25; }
.alt { margin: 1.2mm 0 0; padding-top: 1.2mm; border-top: 0.3mm dashed #999; }
.msg { font-weight: bold; }
footer { margin-top: auto; padding-top: 1.5mm; font-size: 8pt; color: #333; text-align: center; }
@media screen { body { background: #ddd; } .page { background: #fff; margin: 8mm auto; padding: 12mm; width: 210mm; height: 297mm; } }
)CSS";

}  // namespace

std::string poster_html(const PosterInfo& info) {
    const std::string name = esc(info.facility_name);
    const std::string code = esc(info.code);
    const std::string message = esc(info.checkin_text.empty() ? "チェックイン " + info.code : info.checkin_text);

    // The QR markup is ours (qr_svg()), so it is inlined as is; when the caller did not render it,
    // it is drawn here from the check-in URL.
    std::string svg = info.qr_svg;
    if (svg.empty() && !info.checkin_url.empty()) svg = qr_svg(info.checkin_url);

    std::string meta;
    if (!info.kind.empty()) meta += esc(info.kind);
    if (!info.kind.empty() && !info.address.empty()) meta += "　・　";
    if (!info.address.empty()) meta += esc(info.address);

    std::string h;
    h.reserve(svg.size() + 9000);
    h += "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<title>LINEでチェックイン — " + name + "</title>\n<style>";
    h += kStyle;
    h += "</style>\n</head>\n<body>\n<div class=\"page\">\n";

    h += "<header>\n<h1>LINEでチェックイン<span class=\"en\">Check in with LINE</span></h1>\n"
         "<p>あとから陽性と分かった方と同じ時間帯にここにいた場合、LINEでお知らせします。"
         "<br><span class=\"en\">If someone who was here around the same time later tests positive, "
         "we will let you know on LINE.</span></p>\n</header>\n";

    h += "<div class=\"facility\">\n<div class=\"name\" data-field=\"facility_name\">" + name + "</div>\n";
    if (!meta.empty()) h += "<div class=\"meta\">" + meta + "</div>\n";
    h += "</div>\n";

    h += "<div class=\"qr\">\n";
    h += svg;
    h += "<div class=\"code-label\">チェックインコード <span class=\"en\">Check-in code</span></div>\n";
    h += "<div class=\"code\">" + code + "</div>\n</div>\n";

    h += "<div class=\"columns\">\n<section class=\"steps\">\n"
         "<h2>チェックインのしかた <span class=\"en\">How to check in</span></h2>\n<ol>\n"
         "<li>LINEの「QRコードリーダー」か、スマートフォンのカメラを開きます。"
         "<span class=\"en\">Open the QR code reader in LINE, or your phone's camera.</span></li>\n"
         "<li>このQRコードを読み取ります。<span class=\"en\">Scan this QR code.</span></li>\n"
         "<li>表示されたメッセージ <span class=\"msg\">「";
    h += message;
    h += "」</span> をそのまま送信します。<span class=\"en\">Send the message that appears: <span class=\"msg\">“";
    h += message;
    h += "”</span>.</span></li>\n</ol>\n"
         "<p class=\"alt\">読み取れないときは：sapo の公式アカウントを友だち追加して、"
         "<span class=\"msg\">「";
    h += message;
    h += "」</span> と送ってください。<span class=\"en\">Cannot scan? Add the sapo official account as a friend "
         "and send <span class=\"msg\">“";
    h += message;
    h += "”</span>.</span></p>\n</section>\n";

    h += "<section class=\"notes\">\n<h2>ご注意 <span class=\"en\">Please note</span></h2>\n<ul>\n"
         "<li><strong>利用する日ごとに、毎回</strong>読み取ってください。従業員の方も勤務日ごとにどうぞ。"
         "<span class=\"en\">Scan on every visit, each day you come. Staff can check in on each working day, "
         "too.</span></li>\n"
         "<li>お知らせが届いても、あなたが感染したということではありません。あとで陽性と分かった方が"
         "同じころここにいたことと、これからすべきことをお伝えするものです。"
         "<span class=\"en\">A notice does not mean you are infected. It tells you that a person who later "
         "tested positive was here around the same time, and what to do next.</span></li>\n"
         "<li>このQRコードを配布したり、ほかの場所に掲示・投稿したりしないでください。"
         "実際にここにいる方だけがチェックインしてください。"
         "<span class=\"en\">Do not hand out this QR code or post it anywhere else. Only people who are "
         "actually here should check in.</span></li>\n"
         "<li>記録するのは、LINEのユーザーID・施設・日時だけです。31日後に削除します。"
         "<span class=\"en\">We store only your LINE user ID, the facility and the time, and delete them "
         "after 31 days.</span></li>\n"
         "</ul>\n</section>\n</div>\n";

    h += "<footer>施設の方へ：受付や入口など、見やすい場所に掲示してください。"
         " <span class=\"en\">For the facility: put this poster up at the entrance or reception.</span></footer>\n";

    h += "</div>\n</body>\n</html>\n";
    return h;
}

}  // namespace sapo::facility
