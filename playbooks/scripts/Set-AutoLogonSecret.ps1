# Set-AutoLogonSecret.ps1 - sets the CS auto-logon password without writing it in clear.
#
# Windows can keep the auto-logon password in the registry value
# HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\DefaultPassword, in plain text,
# readable by every administrator and by anyone holding a registry backup. Winlogon also reads
# the LSA secret "DefaultPassword", which is encrypted by the system; that is what Sysinternals
# Autologon writes. This script does the same with LsaStorePrivateData, so the password is
# never in a file, the registry in clear, or a command line.
#
# The new password is read from standard input (one line), as rollout's password steps
# write it. Run:
#   powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Set-AutoLogonSecret.ps1 -UserName NAME
# With -Check it only verifies the configuration (AutoAdminLogon=1, the user name, no
# plain-text DefaultPassword, an LSA secret present) and reads nothing from standard input.
param(
	[Parameter(Mandatory = $true)][string]$UserName,
	[string]$Domain = $env:COMPUTERNAME,
	[switch]$Check
)
$ErrorActionPreference = 'Stop'
$winlogon = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'

Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
public static class RolloutLsa {
	[StructLayout(LayoutKind.Sequential)]
	public struct LSA_UNICODE_STRING { public ushort Length; public ushort MaximumLength; public IntPtr Buffer; }
	[StructLayout(LayoutKind.Sequential)]
	public struct LSA_OBJECT_ATTRIBUTES {
		public int Length; public IntPtr RootDirectory; public IntPtr ObjectName;
		public uint Attributes; public IntPtr SecurityDescriptor; public IntPtr SecurityQualityOfService;
	}
	[DllImport("advapi32.dll")] static extern uint LsaOpenPolicy(IntPtr system,
		ref LSA_OBJECT_ATTRIBUTES attrs, uint access, out IntPtr handle);
	[DllImport("advapi32.dll")] static extern uint LsaStorePrivateData(IntPtr handle,
		ref LSA_UNICODE_STRING key, ref LSA_UNICODE_STRING data);
	[DllImport("advapi32.dll")] static extern uint LsaRetrievePrivateData(IntPtr handle,
		ref LSA_UNICODE_STRING key, out IntPtr data);
	[DllImport("advapi32.dll")] static extern uint LsaFreeMemory(IntPtr buffer);
	[DllImport("advapi32.dll")] static extern uint LsaClose(IntPtr handle);
	[DllImport("advapi32.dll")] static extern int LsaNtStatusToWinError(uint status);
	const uint POLICY_GET_PRIVATE_INFORMATION = 0x4, POLICY_CREATE_SECRET = 0x20;

	static LSA_UNICODE_STRING Str(string s) {
		LSA_UNICODE_STRING u = new LSA_UNICODE_STRING();
		u.Buffer = Marshal.StringToHGlobalUni(s);
		u.Length = (ushort)(s.Length * 2);
		u.MaximumLength = (ushort)(s.Length * 2 + 2);
		return u;
	}
	static IntPtr Open(uint access) {
		LSA_OBJECT_ATTRIBUTES oa = new LSA_OBJECT_ATTRIBUTES();
		oa.Length = Marshal.SizeOf(typeof(LSA_OBJECT_ATTRIBUTES));
		IntPtr h;
		uint st = LsaOpenPolicy(IntPtr.Zero, ref oa, access, out h);
		if (st != 0) throw new System.ComponentModel.Win32Exception(LsaNtStatusToWinError(st));
		return h;
	}
	public static void Store(string key, string value) {
		IntPtr h = Open(POLICY_CREATE_SECRET);
		LSA_UNICODE_STRING k = Str(key), v = Str(value);
		try {
			uint st = LsaStorePrivateData(h, ref k, ref v);
			if (st != 0) throw new System.ComponentModel.Win32Exception(LsaNtStatusToWinError(st));
		} finally {
			Marshal.ZeroFreeGlobalAllocUnicode(v.Buffer);
			Marshal.FreeHGlobal(k.Buffer);
			LsaClose(h);
		}
	}
	public static bool Exists(string key) {
		IntPtr h = Open(POLICY_GET_PRIVATE_INFORMATION), data;
		LSA_UNICODE_STRING k = Str(key);
		try {
			uint st = LsaRetrievePrivateData(h, ref k, out data);
			if (st != 0) return false;
			LsaFreeMemory(data);
			return true;
		} finally {
			Marshal.FreeHGlobal(k.Buffer);
			LsaClose(h);
		}
	}
}
'@

if ($Check) {
	$w = Get-ItemProperty -Path $winlogon
	$ok = $w.AutoAdminLogon -eq '1' -and $w.DefaultUserName -eq $UserName -and
		$null -eq $w.DefaultPassword -and [RolloutLsa]::Exists('DefaultPassword')
	if ($ok) { exit 0 }
	Write-Error 'auto-logon is not configured with an LSA secret for this user'
	exit 1
}

$secret = [Console]::In.ReadLine()
if ([string]::IsNullOrEmpty($secret)) {
	Write-Error 'no password on standard input'
	exit 2
}
[RolloutLsa]::Store('DefaultPassword', $secret)
$secret = $null
Set-ItemProperty -Path $winlogon -Name AutoAdminLogon -Value '1'
Set-ItemProperty -Path $winlogon -Name DefaultUserName -Value $UserName
Set-ItemProperty -Path $winlogon -Name DefaultDomainName -Value $Domain
# No clear-text copy may remain beside the secret.
Remove-ItemProperty -Path $winlogon -Name DefaultPassword -ErrorAction SilentlyContinue
exit 0
