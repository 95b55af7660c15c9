/**
 * The built-in mapping config, in the same YAML format a user can put into
 * any rule folder (a document with `logsources`, `fieldmappings` and/or
 * `placeholders` and no `detection`). Kept as text in code so compiled
 * binaries carry it.
 *
 * @module
 */

/** Default logsource routing and field mapping (YAML). */
export const DEFAULT_MAPPING_YAML = `
# Logsource routing: an event gets the product/category/service values of
# every entry whose "when" holds (values compared case-insensitively; a list
# means any of them; "*" means the field is present). A rule sees an event
# when each of the rule's logsource keys is among the event's values.
logsources:
  # SentinelStream EnrichedEvents (the parser's vocabulary)
  - when: { category: auth }
    category: authentication
  - when: { action: ssh_login }
    product: linux
    service: [sshd, auth]
  - when: { action: sudo }
    product: linux
    service: [sudo, auth]
  - when: { action: su }
    product: linux
    service: [su, auth]
  - when: { action: [user_created, user_modified, user_deleted, group_created, group_modified] }
    product: linux
    service: auth
  - when: { category: network }
    category: [firewall, network_connection]
  - when: { action: ids_alert }
    category: ids
  - when: { category: dns }
    category: [dns, dns_query]
  - when: { category: web }
    category: webserver
  - when: { category: process }
    category: process_creation
  - when: { category: file }
    category: file_event
  # Linux syslog programs
  - when: { format: [rfc3164, rfc5424, syslog] }
    product: linux
    service: syslog
  - when: { process.name: [sshd, sshd-session, sshd-auth] }
    product: linux
    service: sshd
  - when: { process.name: [sudo] }
    product: linux
    service: sudo
  - when: { process.name: [su] }
    product: linux
    service: su
  - when: { process.name: [useradd, usermod, userdel, groupadd, passwd, chpasswd, login, sshd, sshd-session, sshd-auth, sudo, su, cron, crond, systemd-logind] }
    product: linux
    service: auth
  - when: { process.name: [auditd, audispd] }
    product: linux
    service: auditd
  - when: { format: auditd }
    product: linux
    service: auditd
  - when: { process.name: [cron, crond, CRON] }
    product: linux
    service: cron
  - when: { process.name: [vsftpd] }
    product: linux
    service: vsftpd
  - when: { process.name: [clamd, freshclam] }
    product: linux
    service: clamav
  # AWS CloudTrail records
  - when: { format: cloudtrail }
    product: aws
    service: cloudtrail
  # Okta System Log events
  - when: { format: okta }
    product: okta
    service: okta
  # Microsoft Entra ID (Azure AD) sign-in logs
  - when: { format: azure_signin }
    product: azure
    service: signinlogs
  # Apache access logs
  - when: { format: [apache_access, nginx_access] }
    category: webserver
  # Windows EVTX as JSON. "field:Channel" / "field:EventID" read the values
  # the way rules read those names (fieldmappings below, then the defaults):
  # payload.Event.System.* of an object payload, else the parser's
  # fields.Channel / fields.EventID, which is all a line read with
  # --in-format lines (payload kept as text) or a flat JSON event carries.
  - when: { format: windows_evtx }
    product: windows
  - when: { field:Channel: "*" }
    product: windows
  - when: { field:Channel: Security }
    service: security
  - when: { field:Channel: System }
    service: system
  - when: { field:Channel: Application }
    service: application
  - when: { field:Channel: Microsoft-Windows-Sysmon/Operational }
    service: sysmon
  - when: { field:Channel: Microsoft-Windows-Windows Defender/Operational }
    service: windefend
  - when: { field:Channel: Microsoft-Windows-TaskScheduler/Operational }
    service: taskscheduler
  - when: { field:Channel: Microsoft-Windows-DNS-Client/Operational }
    service: dns-client
  - when: { field:Channel: Microsoft-Windows-CodeIntegrity/Operational }
    service: codeintegrity-operational
  - when: { field:Channel: Microsoft-Windows-Bits-Client/Operational }
    service: bits-client
  - when: { field:Channel: Microsoft-Windows-PowerShell/Operational }
    service: powershell
  - when: { field:Channel: Windows PowerShell }
    service: powershell-classic
  - when: { field:Channel: Security, field:EventID: 4688 }
    category: process_creation
  - when: { field:Channel: Microsoft-Windows-PowerShell/Operational, field:EventID: 4104 }
    category: ps_script
  - when: { field:Channel: Microsoft-Windows-PowerShell/Operational, field:EventID: 4103 }
    category: ps_module
  - when: { field:Channel: Windows PowerShell, field:EventID: 400 }
    category: ps_classic_start
  - when: { field:Channel: Windows PowerShell, field:EventID: 600 }
    category: ps_classic_provider_start
  # Sysmon event ids
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 1 }, category: process_creation }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 2 }, category: file_change }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 3 }, category: network_connection }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 4 }, category: sysmon_status }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 5 }, category: process_termination }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 6 }, category: driver_load }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 7 }, category: image_load }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 8 }, category: create_remote_thread }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 9 }, category: raw_access_thread }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 10 }, category: process_access }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 11 }, category: file_event }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 12 }, category: [registry_add, registry_delete, registry_event] }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 13 }, category: [registry_set, registry_event] }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 14 }, category: [registry_rename, registry_event] }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 15 }, category: create_stream_hash }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 16 }, category: sysmon_status }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: [17, 18] }, category: pipe_created }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: [19, 20, 21] }, category: wmi_event }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 22 }, category: dns_query }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: [23, 26] }, category: file_delete }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 24 }, category: clipboard_change }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 25 }, category: process_tampering }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 27 }, category: file_block_executable }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 29 }, category: file_executable_detected }
  - { when: { field:Channel: Microsoft-Windows-Sysmon/Operational, field:EventID: 255 }, category: sysmon_error }

# Sigma field name -> candidate event paths, first present wins. Names not
# listed resolve to: our EnrichedEvent entity of that name, fields[name],
# payload.name (ECS JSON), payload.Event.EventData.name,
# payload.Event.System.name. Listed names try their paths first, then those
# same defaults (a flat JSON event's EventID is in fields and the payload).
fieldmappings:
  # Windows / Sysmon names onto EVTX JSON, then onto our entities
  Image: [payload.Event.EventData.Image, payload.Event.EventData.NewProcessName, process.executable]
  CommandLine: [payload.Event.EventData.CommandLine, process.command_line]
  ParentImage: [payload.Event.EventData.ParentImage, payload.Event.EventData.ParentProcessName, process.parent.executable]
  ParentCommandLine: [payload.Event.EventData.ParentCommandLine, process.parent.command_line]
  ProcessId: [payload.Event.EventData.ProcessId, process.pid]
  User: [payload.Event.EventData.User, user.name]
  SubjectUserName: [payload.Event.EventData.SubjectUserName, user.name]
  TargetUserName: [payload.Event.EventData.TargetUserName, user.target.name]
  TargetFilename: [payload.Event.EventData.TargetFilename, file.path]
  DestinationIp: [payload.Event.EventData.DestinationIp, destination.ip]
  DestinationPort: [payload.Event.EventData.DestinationPort, destination.port]
  DestinationHostname: [payload.Event.EventData.DestinationHostname, destination.domain]
  SourceIp: [payload.Event.EventData.SourceIp, source.ip]
  SourcePort: [payload.Event.EventData.SourcePort, source.port]
  QueryName: [payload.Event.EventData.QueryName, dns.question.name]
  EventID: [payload.Event.System.EventID]
  Channel: [payload.Event.System.Channel]
  Provider_Name: [payload.Event.System.Provider_Name, payload.Event.System.Provider.Name, payload.Event.System.Provider.@Name, payload.Event.System.Provider.#attributes.Name, fields.Provider]
  Computer: [payload.Event.System.Computer, host.name]
  # ECS names that differ from ours
  event.category: [category, payload.event.category]
  event.action: [action, payload.event.action]
  event.outcome: [outcome, payload.event.outcome]
  client.ip: [source.ip, payload.client.ip]
  server.ip: [destination.ip, payload.server.ip]
  url.full: [url.original, payload.url.full]
  user_agent.original: [http.user_agent, payload.user_agent.original]
  # SigmaHQ webserver / proxy taxonomy (W3C extended log names). Proxy
  # rules write c-uri*, c-useragent; webserver rules write the cs-* forms
  # of the same things (cs-uri-query, cs-user-agent): both map onto what the
  # access-log parser fills. No field here for c-uri-extension, cs-cookie,
  # cs-content-type or cs-bytes (access logs carry none): those read only a
  # JSON event's own keys, and rules lint says so.
  cs-method: [http.request.method]
  c-uri: [url.original]
  cs-uri: [url.original]
  c-uri-query: [url.query]
  cs-uri-query: [url.query]
  c-uri-stem: [url.path]
  cs-uri-stem: [url.path]
  c-useragent: [http.user_agent]
  cs-user-agent: [http.user_agent]
  cs-referer: [http.request.referrer]
  cs-referrer: [http.request.referrer]
  cs-host: [url.domain]
  r-dns: [url.domain]
  cs-version: [fields.http.version]
  cs-username: [user.name]
  sc-status: [http.response.status_code]
  sc-bytes: [http.response.bytes]
  c-ip: [source.ip]
  s-ip: [destination.ip]
  s-port: [destination.port]
  query: [dns.question.name]
  record_type: [dns.question.type]
  answer: [dns.answers]
  src_ip: [source.ip]
  src_port: [source.port]
  dst_ip: [destination.ip]
  dst_port: [destination.port]

# Values for the expand modifier's %name% placeholders.
placeholders: {}
`;
