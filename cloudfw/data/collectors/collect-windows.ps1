# cloudfw host collector for Windows. Read-only: only Get-* cmdlets and "netsh ... show";
# it changes nothing. No dependencies beyond Windows PowerShell 5.1 / PowerShell 7.
#
# Usage:  powershell -ExecutionPolicy Bypass -File collect-windows.ps1 [-OutDir C:\temp]
#         (run as Administrator for complete results)
# Writes: <OutDir>\cloudfw-<host>-<UTC time>\ with manifest.json, plus a .tar.gz when tar.exe
#         exists (Windows 10 1803+). Audit: cloudfw host audit <that file or directory>
param([string]$OutDir = ".")
$ErrorActionPreference = "Stop"

$hostName = $env:COMPUTERNAME
$stamp = (Get-Date).ToUniversalTime().ToString("yyyyMMddTHHmmssZ")
$name = "cloudfw-$hostName-$stamp"
$dir = Join-Path $OutDir $name
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$files = New-Object System.Collections.ArrayList

function Save-Output([string]$File, [string]$Format, [string]$Command, [scriptblock]$Block) {
    $entry = [ordered]@{ path = $File; format = $Format; command = $Command; status = 0;
                         empty = $false; error = "" }
    try {
        $text = & $Block
        if ($null -eq $text -or "$text".Length -eq 0) { $entry.empty = $true }
        else { [IO.File]::WriteAllText((Join-Path $dir $File), "$text", [Text.UTF8Encoding]::new($false)) }
    } catch {
        $entry.status = 1
        $entry.error = "$($_.Exception.Message)"
    }
    [void]$files.Add($entry)
}

function Index-Filter($Items) {
    $map = @{}
    foreach ($i in $Items) { $map[[string]$i.InstanceID] = $i }
    return $map
}

Save-Output "windows-firewall-profiles.json" "windows" "Get-NetFirewallProfile" {
    $profiles = Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object {
        [ordered]@{ Name = [string]$_.Name; Enabled = [string]$_.Enabled;
                    DefaultInboundAction = [string]$_.DefaultInboundAction;
                    DefaultOutboundAction = [string]$_.DefaultOutboundAction;
                    LogAllowed = [string]$_.LogAllowed; LogBlocked = [string]$_.LogBlocked;
                    LogFileName = [string]$_.LogFileName }
    }
    ConvertTo-Json -InputObject @($profiles) -Depth 4
}

Save-Output "windows-firewall-rules.json" "windows" "Get-NetFirewallRule + filters" {
    $ports = Index-Filter (Get-NetFirewallPortFilter -All -PolicyStore ActiveStore)
    $addrs = Index-Filter (Get-NetFirewallAddressFilter -All -PolicyStore ActiveStore)
    $apps = Index-Filter (Get-NetFirewallApplicationFilter -All -PolicyStore ActiveStore)
    $svcs = Index-Filter (Get-NetFirewallServiceFilter -All -PolicyStore ActiveStore)
    $ifs = Index-Filter (Get-NetFirewallInterfaceFilter -All -PolicyStore ActiveStore)
    $ift = Index-Filter (Get-NetFirewallInterfaceTypeFilter -All -PolicyStore ActiveStore)
    $rules = Get-NetFirewallRule -PolicyStore ActiveStore | ForEach-Object {
        $id = [string]$_.InstanceID
        $p = $ports[$id]; $a = $addrs[$id]; $ap = $apps[$id]; $s = $svcs[$id]
        $i = $ifs[$id]; $t = $ift[$id]
        [ordered]@{ Name = [string]$_.Name; DisplayName = [string]$_.DisplayName;
                    Enabled = [string]$_.Enabled; Direction = [string]$_.Direction;
                    Action = [string]$_.Action; Profile = [string]$_.Profile;
                    Protocol = [string]$p.Protocol; LocalPort = @($p.LocalPort);
                    RemotePort = @($p.RemotePort); IcmpType = @($p.IcmpType);
                    LocalAddress = @($a.LocalAddress); RemoteAddress = @($a.RemoteAddress);
                    Program = [string]$ap.Program; Service = [string]$s.Service;
                    InterfaceAlias = @($i.InterfaceAlias); InterfaceType = [string]$t.InterfaceType }
    }
    ConvertTo-Json -InputObject @($rules) -Depth 4
}

Save-Output "netsh-allprofiles.txt" "netsh" "netsh advfirewall show allprofiles" {
    $out = & netsh.exe advfirewall show allprofiles
    if ($LASTEXITCODE -ne 0) { throw "netsh exited $LASTEXITCODE" }
    $out -join "`n"
}

# which interfaces face the internet: their addresses, and the default routes
Save-Output "net-ipaddress.json" "windows-ip" "Get-NetIPAddress" {
    $types = @{}  # alias -> IANA ifType (6 Ethernet, 71 Wi-Fi, 23 PPP): the firewall's interface types
    Get-NetAdapter -IncludeHidden -ErrorAction SilentlyContinue | ForEach-Object {
        $types[[string]$_.Name] = [int]$_.InterfaceType }
    $ips = Get-NetIPAddress | ForEach-Object {
        [ordered]@{ InterfaceAlias = [string]$_.InterfaceAlias; IPAddress = [string]$_.IPAddress;
                    PrefixLength = [int]$_.PrefixLength; AddressFamily = [string]$_.AddressFamily;
                    InterfaceType = $types[[string]$_.InterfaceAlias] }
    }
    ConvertTo-Json -InputObject @($ips) -Depth 3
}

Save-Output "net-route.json" "windows-ip" "Get-NetRoute" {
    $routes = Get-NetRoute | ForEach-Object {
        [ordered]@{ InterfaceAlias = [string]$_.InterfaceAlias;
                    DestinationPrefix = [string]$_.DestinationPrefix;
                    NextHop = [string]$_.NextHop; RouteMetric = [int]$_.RouteMetric }
    }
    ConvertTo-Json -InputObject @($routes) -Depth 3
}

# which firewall profile (Domain, Private, Public) each connected interface is in
Save-Output "net-connectionprofile.json" "windows-ip" "Get-NetConnectionProfile" {
    $profiles = Get-NetConnectionProfile | ForEach-Object {
        [ordered]@{ InterfaceAlias = [string]$_.InterfaceAlias; Name = [string]$_.Name;
                    NetworkCategory = [string]$_.NetworkCategory }
    }
    ConvertTo-Json -InputObject @($profiles) -Depth 3
}

$os = Get-CimInstance Win32_OperatingSystem -ErrorAction SilentlyContinue
$manifest = [ordered]@{
    schema = "cloudfw.host-bundle/1"
    host = $hostName
    collected_at = (Get-Date).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ")
    os = [ordered]@{ name = "Windows"; release = [string]$os.Version; version = [string]$os.Caption }
    collector = "collect-windows.ps1/1"
    tools = [ordered]@{ powershell = [string]$PSVersionTable.PSVersion }
    files = @($files)
}
[IO.File]::WriteAllText((Join-Path $dir "manifest.json"), (ConvertTo-Json $manifest -Depth 5),
    [Text.UTF8Encoding]::new($false))

$tar = Get-Command tar.exe -ErrorAction SilentlyContinue
if ($tar) {
    & tar.exe -czf "$dir.tar.gz" -C $OutDir $name
    Write-Output "$dir.tar.gz"
} else {
    Write-Output $dir
}
