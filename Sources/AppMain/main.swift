import App
import Messenger
import MessengerConsole
import MessengerPostgres
import MessengerSQLite

var console = ConsoleApplication()
AppMessages.register(into: &console.registry)
console.schedules.append(AppSchedule())
console.transportFactories.register(SQLiteTransportFactory(baseDirectory: console.projectDirectory))
console.transportFactories.register(PostgresTransportFactory())
await console.run()
