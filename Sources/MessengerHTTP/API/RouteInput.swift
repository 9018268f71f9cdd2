import Hummingbird

/// What a handler gets besides the request: the path's parameters and who asked.
struct RouteInput: Sendable {
    let parameters: [String: String]
    let user: Operator?
    /// The client's IP address, when the request context knows it (`RemoteAddressRequestContext`).
    let client: String?

    func parameter(_ name: String) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw HTTPProblem(.badRequest, "the path has no \(name)") }
        return value
    }
}
