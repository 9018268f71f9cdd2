import Foundation

/// An e-mail as RFC 5322 / MIME text: UTF-8 headers encoded per RFC 2047, bodies in base64, an HTML
/// body as a multipart/alternative part after the text.
public enum EmailRenderer {
    public static func render(_ email: Email, date: Date = Date(), messageId: String = UUID().uuidString) -> String {
        var lines = [
            "From: \(email.from)",
            "To: \(email.to.joined(separator: ", "))",
            "Subject: \(encodedWord(email.subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(messageId)@\(domain(of: email.from))>",
            "MIME-Version: 1.0",
        ]
        if let html = email.html {
            let boundary = "=_\(messageId.replacingOccurrences(of: "-", with: ""))"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += part(email.text, type: "text/plain")
            lines.append("--\(boundary)")
            lines += part(html, type: "text/html")
            lines.append("--\(boundary)--")
        } else {
            lines += part(email.text, type: "text/plain")
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func part(_ body: String, type: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""] + base64Lines(body)
    }

    private static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        return stride(from: 0, to: encoded.count, by: 76).map { start in
            let from = encoded.index(encoded.startIndex, offsetBy: start)
            return String(encoded[from..<encoded.index(from, offsetBy: min(76, encoded.count - start))])
        }
    }

    /// `=?UTF-8?B?…?=` when the text is not plain printable ASCII.
    static func encodedWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value != 127 }) { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    private static func domain(of address: String) -> String {
        let bare = address.split(separator: "<").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? address
        return bare.split(separator: "@").last.map(String.init) ?? "localhost"
    }

    /// The bare address of `Name <address>` or `address`.
    public static func address(_ text: String) -> String {
        guard let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close else { return text.trimmingCharacters(in: .whitespaces) }
        return String(text[text.index(after: open)..<close])
    }
}
