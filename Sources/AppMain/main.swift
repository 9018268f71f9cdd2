import App
import Messenger
import MessengerConsole
import MessengerSQLite

var console = ConsoleApplication()
AppMessages.register(into: &console.registry)
console.transportFactories.register(SQLiteTransportFactory(baseDirectory: console.projectDirectory))
await console.run()
