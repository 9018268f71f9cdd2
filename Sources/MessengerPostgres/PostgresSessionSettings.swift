import Foundation

/// What a connection may keep in its server session, and the run-time parameters its statements run
/// under.
///
/// On a direct connection (or through a pooler in session mode) statements are prepared once per
/// session and the parameters are `SET` when it opens. Through a pooler in transaction mode, where
/// each transaction may run on another server connection, nothing is left in the session: statements
/// are sent unnamed and the parameters are set for each transaction (`set_config(…, true)`, in the
/// same round trip as the statement).
public struct PostgresSessionSettings: Sendable, Hashable {
    /// Run-time parameters (name, value), e.g. `lock_timeout`.
    public var parameters: [Parameter]
    /// A transaction pooler may sit in between: nothing may outlive a transaction.
    public var transactionPooled: Bool

    /// A run-time parameter and its value.
    public struct Parameter: Sendable, Hashable {
        /// Its name (a plain identifier).
        public let name: String
        /// Its value.
        public let value: String

        /// `name = value`.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `parameters` under `transactionPooled` rules.
    public init(parameters: [Parameter] = [], transactionPooled: Bool = false) {
        self.parameters = parameters
        self.transactionPooled = transactionPooled
    }

    /// The statements run when a session opens (direct connections): `SET name = 'value'; …`.
    var sessionStatements: String? {
        guard !transactionPooled, !parameters.isEmpty else { return nil }
        return parameters.map { "SET \($0.name) = \(Self.literal($0.value))" }.joined(separator: "; ")
    }

    /// The statement that sets the parameters for the current transaction only (pooled connections).
    var transactionStatement: String? {
        guard transactionPooled, !parameters.isEmpty else { return nil }
        return "SELECT " + parameters.map { "set_config(\(Self.literal($0.name)), \(Self.literal($0.value)), true)" }.joined(separator: ", ")
    }

    private static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
