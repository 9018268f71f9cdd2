import Foundation
import Messenger

/// Mail templates: `NAME.txt` (required) and `NAME.html` (optional) in `MAIL_TEMPLATES_DIR` (default
/// `templates/mail` in the project), with `{{ key }}` placeholders. A missing template or value is
/// unrecoverable: retrying cannot make it appear.
struct MailTemplates: Sendable {
    let environment: AppEnvironment

    /// The text and HTML bodies of `name` filled from `context`.
    func render(_ name: String, context: [String: String]) throws -> (text: String, html: String?) {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "/" }), !name.contains("..") else {
            throw UnrecoverableMessageError("invalid mail template name \"\(name)\"")
        }
        let written = try environment.setting("MAIL_TEMPLATES_DIR") ?? "templates/mail"
        let folder = written.hasPrefix("/") ? written : URL(fileURLWithPath: environment.projectDirectory).appendingPathComponent(written).path
        let textPath = "\(folder)/\(name).txt"
        guard let text = try? String(contentsOfFile: textPath, encoding: .utf8) else {
            throw UnrecoverableMessageError("mail template \(name): \(textPath) cannot be read")
        }
        let html = try? String(contentsOfFile: "\(folder)/\(name).html", encoding: .utf8)
        return (try fill(text, name: name, context: context), try html.map { try fill($0, name: name, context: context, escapingHTML: true) })
    }

    /// Replaces each `{{ key }}`; a key the context lacks is an error naming it.
    func fill(_ template: String, name: String, context: [String: String], escapingHTML: Bool = false) throws -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw UnrecoverableMessageError("mail template \(name): a {{ is never closed")
            }
            let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = context[key] else {
                throw UnrecoverableMessageError("mail template \(name) needs \"\(key)\", which the message's context lacks (given: \(context.keys.sorted().joined(separator: ", ")))")
            }
            result += escapingHTML ? Self.escape(value) : value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
