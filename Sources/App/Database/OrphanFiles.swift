import Foundation

/// The files of the upload folder that no `uploaded_files` row references, older than a grace period.
public enum OrphanFiles {
    /// The upload folder: `UPLOAD_DIR` (relative to the project), default `var/uploads`.
    public static func folder(_ environment: AppEnvironment) throws -> String {
        let written = try environment.setting("UPLOAD_DIR") ?? "var/uploads"
        return written.hasPrefix("/") ? written : URL(fileURLWithPath: environment.projectDirectory).appendingPathComponent(written).path
    }

    /// Paths relative to `folder`, sorted.
    public static func find(in folder: String, database: AppDatabase, olderThan cutoff: Date) async throws -> [String] {
        let referenced = Set(try await database.query("SELECT path FROM uploaded_files").compactMap { $0[0] })
        guard let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: folder), includingPropertiesForKeys: [.isRegularFileKey, .contentModificationDateKey]) else {
            return []
        }
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path + "/"
        var orphans: [String] = []
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .contentModificationDateKey])
            guard values.isRegularFile == true, let modified = values.contentModificationDate, modified < cutoff else { continue }
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
            if !referenced.contains(relative) { orphans.append(relative) }
        }
        return orphans.sorted()
    }
}
