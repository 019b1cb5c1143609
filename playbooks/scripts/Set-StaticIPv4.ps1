# Set-StaticIPv4.ps1 - moves a terminal's network interface to a new static IPv4 address.
#
# Run once at start-up by the scheduled task "Rollout IP change" that the ip-change playbook
# registers before the terminal is shut down and moved: at the new location the old
# address would be useless and the new one is reachable. The interface is the one that holds
# -OldAddress. The script removes the old IPv4 addresses and default route of that interface,
# adds the new ones, sets the DNS servers, logs to C:\Windows\Temp\rollout-ipchange.log and
# unregisters its task, so it runs exactly once.
param(
	[Parameter(Mandatory = $true)][string]$OldAddress,
	[Parameter(Mandatory = $true)][string]$NewAddress,
	[Parameter(Mandatory = $true)][int]$PrefixLength,
	[Parameter(Mandatory = $true)][string]$Gateway,
	[Parameter(Mandatory = $true)][string]$Dns
)
$ErrorActionPreference = 'Stop'
Start-Transcript -Path C:\Windows\Temp\rollout-ipchange.log -Append | Out-Null
try {
	$old = Get-NetIPAddress -AddressFamily IPv4 -IPAddress $OldAddress -ErrorAction SilentlyContinue
	if (-not $old) {
		if (Get-NetIPAddress -AddressFamily IPv4 -IPAddress $NewAddress -ErrorAction SilentlyContinue) {
			Write-Output "already at $NewAddress"
			return
		}
		throw "no interface holds $OldAddress"
	}
	$if = $old.InterfaceIndex
	Set-NetIPInterface -InterfaceIndex $if -AddressFamily IPv4 -Dhcp Disabled
	Get-NetRoute -InterfaceIndex $if -AddressFamily IPv4 -DestinationPrefix 0.0.0.0/0 -ErrorAction SilentlyContinue |
		Remove-NetRoute -Confirm:$false
	Get-NetIPAddress -InterfaceIndex $if -AddressFamily IPv4 | Remove-NetIPAddress -Confirm:$false
	New-NetIPAddress -InterfaceIndex $if -AddressFamily IPv4 -IPAddress $NewAddress `
		-PrefixLength $PrefixLength -DefaultGateway $Gateway | Out-Null
	Set-DnsClientServerAddress -InterfaceIndex $if -ServerAddresses ($Dns -split ',')
	Get-NetIPConfiguration -InterfaceIndex $if | Out-String | Write-Output
} finally {
	Unregister-ScheduledTask -TaskName 'Rollout IP change' -Confirm:$false -ErrorAction SilentlyContinue
	Stop-Transcript | Out-Null
}
