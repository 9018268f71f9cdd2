import Foundation

/// Where operator credentials are kept: the database of the transports (`messenger_credentials`),
/// so that every `app serve` process of an application knows the same users, tokens and sessions.
public protocol OperatorCredentialStore: Sendable {
    /// Transports on one database share their credentials: stores with the same identity are one.
    var recordStoreIdentity: String { get }
    /// Creates or replaces a credential (same kind and key).
    func saveCredential(_ credential: OperatorCredential) async throws
    /// A credential by kind and key; nil when unknown or expired.
    func credential(kind: OperatorCredential.Kind, key: String) async throws -> OperatorCredential?
    /// Every credential of a kind, by name (expired sessions excluded).
    func credentials(kind: OperatorCredential.Kind) async throws -> [OperatorCredential]
    /// Deletes a credential; deletes expired sessions on the way. Returns whether it existed.
    @discardableResult
    func deleteCredential(kind: OperatorCredential.Kind, key: String) async throws -> Bool
}
