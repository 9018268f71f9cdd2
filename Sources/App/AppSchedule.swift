import Scheduler

/// The application's planned work: the `default` schedule, consumed by `scheduler_default`.
///
/// Each recurring message is declared here, in code; `config/scheduler.yaml` and `SCHEDULER_<TASK>_*`
/// variables can disable one or change its trigger without a rebuild.
public struct AppSchedule: ScheduleProvider {
    public init() {}

    public func schedule() throws -> Schedule {
        try Schedule(name: "default", [
            .cron("15 5 * * *", timeZone: "Europe/Paris", RecomputeRoles(), name: "recompute-roles"),
            .cron("# #(1-4) * * *", timeZone: "Europe/Paris", ArchiveObsoleteRequests(), name: "archive-obsolete-requests"),
            .cron("30 3 * * sun", timeZone: "Europe/Paris", PurgeOrphanFiles(), name: "purge-orphan-files"),
            .cron("0 4 * * mon", timeZone: "Europe/Paris", RefreshAllEnrollments(), name: "enrollment-refresh"),
            .cron("0 8 * * *", timeZone: "Europe/Paris", SendReminders(), name: "reminders"),
            .cron("30 2 * * *", timeZone: "Europe/Paris", RecomputeAvisEse(), name: "avis-ese"),
        ])
    }
}
