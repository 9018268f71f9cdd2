import Messenger

/// An e-mail to a student or a member of staff, sent through `MAILER_DSN`: its bodies given, or
/// rendered from a template (`templates/mail/NAME.txt`, and `NAME.html` when present) with a context.
public struct SendMail: Message, Equatable {
    public static let messageName = "App.SendMail"
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String?
    /// A template name; its `{{ key }}` placeholders are filled from `context`.
    public var template: String?
    public var context: [String: String]?

    public init(to: [String], subject: String, text: String = "", html: String? = nil, template: String? = nil, context: [String: String]? = nil) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.template = template
        self.context = context
    }

    enum CodingKeys: String, CodingKey { case to, subject, text, html, template, context }

    /// `text` may be left out when a template gives it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode([String].self, forKey: .to)
        subject = try container.decode(String.self, forKey: .subject)
        text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
        html = try container.decodeIfPresent(String.self, forKey: .html)
        template = try container.decodeIfPresent(String.self, forKey: .template)
        context = try container.decodeIfPresent([String: String].self, forKey: .context)
    }
}
