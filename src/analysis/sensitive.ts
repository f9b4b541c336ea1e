/**
 * Well-known services that should not be reachable from the internet.
 *
 * Port numbers and service names: the IANA Service Name and Transport Protocol
 * Port Number Registry, except where a note says otherwise. The selection is
 * the list of issue 12 (remote administration, databases and caches, container
 * and cluster control planes, file sharing, clear-text logins) — the services
 * that cloud security benchmarks (e.g. the CIS Foundations benchmarks' "no
 * security group allows ingress from 0.0.0.0/0 to remote server administration
 * ports") and the clouds' own advisors flag. docs/analysis.md has the table.
 */
export interface SensitiveService {
  proto: 'tcp' | 'udp';
  port: number;
  name: string;
}

export const SENSITIVE_SERVICES: readonly SensitiveService[] = [
  { proto: 'tcp', port: 21, name: 'FTP' },
  { proto: 'tcp', port: 22, name: 'SSH' },
  { proto: 'tcp', port: 23, name: 'Telnet' },
  { proto: 'tcp', port: 445, name: 'SMB' },
  { proto: 'tcp', port: 1433, name: 'Microsoft SQL Server' },
  { proto: 'tcp', port: 1521, name: 'Oracle database listener' },
  { proto: 'tcp', port: 2375, name: 'Docker daemon API (plain)' }, // IANA "docker"
  { proto: 'tcp', port: 2376, name: 'Docker daemon API (TLS)' }, // IANA "docker-s"
  { proto: 'tcp', port: 2379, name: 'etcd client API' }, // IANA "etcd-client"
  { proto: 'tcp', port: 3306, name: 'MySQL' },
  { proto: 'tcp', port: 3389, name: 'RDP' },
  { proto: 'udp', port: 3389, name: 'RDP' },
  { proto: 'tcp', port: 5432, name: 'PostgreSQL' },
  { proto: 'tcp', port: 5900, name: 'VNC' }, // IANA "rfb"
  { proto: 'tcp', port: 6379, name: 'Redis' }, // IANA "redis"
  { proto: 'tcp', port: 6443, name: 'Kubernetes API server' }, // IANA "sun-sr-https"; Kubernetes docs "Ports and Protocols"
  { proto: 'tcp', port: 9200, name: 'Elasticsearch' }, // IANA "wap-wsp"; Elasticsearch's default HTTP port
  { proto: 'tcp', port: 10250, name: 'Kubernetes kubelet API' }, // Kubernetes docs "Ports and Protocols"
  { proto: 'tcp', port: 11211, name: 'Memcached' }, // IANA "memcache"
  { proto: 'udp', port: 11211, name: 'Memcached' },
  { proto: 'tcp', port: 27017, name: 'MongoDB' }, // IANA "mongodb"
];
