import Mustache

/// The dashboard's templates, compiled into the binary, and the layout every page shares.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    init() throws {
        let sources: [String: [UInt8]] = [
            "layout": PackageResources.layout_mustache, "login": PackageResources.login_mustache, "error": PackageResources.error_mustache,
            "overview": PackageResources.overview_mustache, "queues": PackageResources.queues_mustache,
            "messages": PackageResources.messages_mustache, "message": PackageResources.message_mustache,
            "schedules": PackageResources.schedules_mustache, "workers": PackageResources.workers_mustache, "chart": PackageResources.chart_mustache,
        ]
        var library = MustacheLibrary()
        for (name, bytes) in sources { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
    }

    /// A page: `template` rendered with `context` (every value HTML-escaped), inside the layout.
    func page(_ template: String, title: String, context: [String: Any], user: Operator?, options: DashboardOptions, current: String? = nil) -> String {
        page(content: content(template, context: context, options: options), title: title, user: user, options: options, current: current)
    }

    /// A page's main part alone (to share it between viewers).
    func content(_ template: String, context: [String: Any], options: DashboardOptions) -> String {
        library.render(context.merging(["base": options.basePath]) { $1 }, withTemplate: template) ?? ""
    }

    /// Rendered `content` inside the layout (navigation, the user, the CSRF token).
    func page(content: String, title: String, user: Operator?, options: DashboardOptions, current: String? = nil) -> String {
        let nav = [("overview", "Overview", "/"), ("queues", "Queues", "/queues"), ("messages", "Messages", "/messages"),
                   ("schedules", "Schedules", "/schedules"), ("workers", "Workers", "/workers")].map { key, label, path -> [String: Any] in
            ["href": options.basePath + path, "label": label, "current": key == current]
        }
        var layout: [String: Any] = [
            "title": title, "base": options.basePath, "content": content, "csrf": user?.csrfToken ?? "",
            "refresh": user == nil ? 0 : options.refreshSeconds, "nav": user == nil ? [] : nav,
        ]
        if let user { layout["user"] = ["name": user.name, "role": user.role.rawValue] }
        return library.render(layout, withTemplate: "layout") ?? ""
    }
}
