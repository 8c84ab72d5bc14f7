/** What each node's kubeadm configuration says, read back as kubeadm's YAML 1.1 reader would. */
import { describe, expect, it } from 'vitest';
import type { ClusterPlan, ClusterSecrets, NodePlan } from '../../../src/plan/types.js';
import { KUBEADM_CONFIG } from '../../../src/render/kubeadm/model.js';
import { kubeadmDocuments, kubeadmFiles } from '../../../src/render/kubeadm/files.js';
import { nodeFiles } from '../../../src/render/node.js';
import { EXAMPLE_PROFILES, FAKE_SECRETS, planFromText } from '../../builders/plan.js';
import { APIS, parseStream, planFor, profileTextFor } from './plans.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Secrets unlike FAKE_SECRETS, so that a value copied from anywhere else would show. */
const OTHER_SECRETS: ClusterSecrets = {
  ...FAKE_SECRETS,
  token: 'k5eedq.z9y8x7w6v5u4t3s2',
  tokenTtl: '0',
  caCertHash: `sha256:${'ab'.repeat(32)}`,
};

/** The delivered /etc/kubernetes/kubeadm/kubeadm.yaml of a node, parsed. */
function delivered(plan: ClusterPlan, node: NodePlan): Doc[] {
  const f = nodeFiles(plan, node).find((x) => x.path === KUBEADM_CONFIG);
  if (!f) throw new Error(`${node.name} has no ${KUBEADM_CONFIG}`);
  return parseStream(String(f.content));
}

function byKind(docs: Doc[], kind: string): Doc {
  const found = docs.filter((d) => d.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

const CASES = EXAMPLE_PROFILES.flatMap((p) => APIS.map((api) => [p, api] as const));

describe.each(CASES)('%s (%s)', (profile, api) => {
  const plan = planFor(profile, api, OTHER_SECRETS);

  it('serializes exactly the documents the version module built (no YAML 1.1 trap changed a value)', () => {
    for (const node of plan.nodes) expect(delivered(plan, node)).toEqual(kubeadmDocuments(plan, node));
  });

  it('uses the API version the plan chose in every kubeadm document', () => {
    for (const node of plan.nodes) {
      const versions = delivered(plan, node).map((d) => d.apiVersion).filter((v: string) => v.startsWith('kubeadm.k8s.io/'));
      expect(new Set(versions)).toEqual(new Set([`kubeadm.k8s.io/${api}`]));
    }
  });

  it('gives every joining node the token and CA hash of plan.secrets', () => {
    const joins = plan.nodes.filter((n) => n.action.startsWith('join-'));
    for (const node of joins) {
      const join = byKind(delivered(plan, node), 'JoinConfiguration');
      expect(join.discovery).toEqual({
        bootstrapToken: {
          token: plan.secrets.token,
          apiServerEndpoint: `${plan.endpoint.host}:${plan.endpoint.port}`,
          caCertHashes: [plan.secrets.caCertHash],
        },
      });
    }
    expect(plan.secrets.token).toBe('k5eedq.z9y8x7w6v5u4t3s2');
  });

  it('creates the same token on the init node, with its ttl', () => {
    const init = plan.nodes.find((n) => n.action === 'init')!;
    expect(byKind(delivered(plan, init), 'InitConfiguration').bootstrapTokens).toEqual([{
      token: 'k5eedq.z9y8x7w6v5u4t3s2',
      description: 'kubeseed: made ahead of time; joins every node of this cluster',
      ttl: '0',
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
    }]);
  });

  it('keeps the config 0600 everywhere and marks it secret where it holds the token', () => {
    for (const node of plan.nodes) {
      const f = kubeadmFiles(plan, node).find((x) => x.path === KUBEADM_CONFIG)!;
      expect(f.mode).toBe(0o600);
      expect(f.secret).toBe(node.action !== 'etcd');
      expect(String(f.content).includes(plan.secrets.token)).toBe(node.action !== 'etcd');
    }
  });

  it('passes node-ip in the shape of the API version', () => {
    for (const node of plan.nodes.filter((n) => n.role !== 'etcd')) {
      const docs = delivered(plan, node);
      const reg = (docs.find((d) => d.kind === 'InitConfiguration') ?? byKind(docs, 'JoinConfiguration')).nodeRegistration;
      expect(reg.name).toBe(node.name);
      expect(reg.criSocket).toBe('unix:///run/containerd/containerd.sock');
      expect(reg.kubeletExtraArgs).toEqual(api === 'v1beta3' ? { 'node-ip': node.ip } : [{ name: 'node-ip', value: node.ip }]);
    }
  });
});

describe('excludeCIDRs', () => {
  const ipvsCases = CASES.map(([p, api]) => planFor(p, api)).filter((plan) => plan.lb.mode === 'ipvs');

  it('covers every example profile (all use the IPVS load balancer, lab by default) in both versions', () => {
    expect(ipvsCases.map((p) => `${p.name} ${p.kubernetes.kubeadmApi}`))
      .toEqual(['lab v1beta3', 'lab v1beta4', 'ha v1beta3', 'ha v1beta4', 'prod v1beta3', 'prod v1beta4', 'metal v1beta3', 'metal v1beta4']);
  });

  it('every IPVS-mode example profile tells kube-proxy to leave the apiserver VIP alone', () => {
    for (const plan of ipvsCases) {
      const init = plan.nodes.find((n) => n.action === 'init')!;
      const proxy = byKind(delivered(plan, init), 'KubeProxyConfiguration');
      expect(proxy).toEqual({
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        kind: 'KubeProxyConfiguration',
        mode: plan.kubernetes.proxyMode,
        ipvs: { excludeCIDRs: [plan.lb.excludeCidr] },
      });
      expect(plan.lb.excludeCidr).toBe(`${plan.lb.vip}/32`);
    }
  });

  it('is absent without the IPVS load balancer', () => {
    const text = profileTextFor('profiles/lab.yaml', 'v1beta4')
      .replace('  os:\n', '  controlPlane:\n    loadBalancer: { mode: none }\n  os:\n');
    const plan = planFromText(text);
    expect(plan.lb.mode).toBe('none');
    expect(byKind(delivered(plan, plan.nodes[0]!), 'KubeProxyConfiguration')).toEqual({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: plan.kubernetes.proxyMode,
    });
  });
});

describe('cluster shape', () => {
  it('leaves the single-node lab untainted and taints control planes that have workers', () => {
    const lab = planFor('profiles/lab.yaml', 'v1beta4');
    expect(byKind(delivered(lab, lab.nodes[0]!), 'InitConfiguration').nodeRegistration.taints).toEqual([]);
    const ha = planFor('profiles/ha.yaml', 'v1beta3');
    for (const node of ha.nodes) {
      const docs = delivered(ha, node);
      const reg = (docs.find((d) => d.kind === 'InitConfiguration') ?? byKind(docs, 'JoinConfiguration')).nodeRegistration;
      if (node.role === 'control-plane') expect(reg.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
      else expect(reg.taints).toBeUndefined();
    }
  });

  it('names the endpoint, the VIP and every control-plane IP in the apiserver certificate', () => {
    const ha = planFor('profiles/ha.yaml', 'v1beta4');
    const cluster = byKind(delivered(ha, ha.nodes[0]!), 'ClusterConfiguration');
    expect(cluster.apiServer.certSANs).toEqual(['apiserver.cluster.local', '10.103.97.2', '192.168.10.11', '192.168.10.12', '192.168.10.13']);
    expect(cluster.controlPlaneEndpoint).toBe('apiserver.cluster.local:6443');
    expect(cluster.networking).toEqual({ podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/16', dnsDomain: 'cluster.local' });
    expect(cluster.etcd).toEqual({ local: { dataDir: '/var/lib/etcd' } });
  });

  it('points control planes of an external-etcd cluster at every member with the apiserver-etcd-client pair', () => {
    const prod = planFor('profiles/external-etcd.yaml', 'v1beta4');
    const init = prod.nodes.find((n) => n.action === 'init')!;
    expect(byKind(delivered(prod, init), 'ClusterConfiguration').etcd).toEqual({
      external: {
        endpoints: ['https://etcd1:2379', 'https://etcd2:2379', 'https://etcd3:2379'],
        caFile: '/etc/kubernetes/pki/etcd/ca.crt',
        certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
        keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
      },
    });
  });

  it('gives each external etcd member the initial cluster of all members and its own URLs (v1beta3 map form)', () => {
    const prod = planFor('profiles/external-etcd.yaml', 'v1beta3');
    const etcd2 = prod.nodes.find((n) => n.name === 'etcd2')!;
    expect(etcd2.action).toBe('etcd');
    const local = byKind(delivered(prod, etcd2), 'ClusterConfiguration').etcd.local;
    expect(local).toEqual({
      dataDir: '/var/lib/etcd',
      serverCertSANs: ['etcd2', '10.20.1.22'],
      peerCertSANs: ['etcd2', '10.20.1.22'],
      extraArgs: {
        'initial-cluster': 'etcd1=https://10.20.1.21:2380,etcd2=https://10.20.1.22:2380,etcd3=https://10.20.1.23:2380',
        'initial-cluster-state': 'new',
        name: 'etcd2',
        'listen-peer-urls': 'https://10.20.1.22:2380',
        'listen-client-urls': 'https://10.20.1.22:2379',
        'advertise-client-urls': 'https://10.20.1.22:2379',
        'initial-advertise-peer-urls': 'https://10.20.1.22:2380',
      },
    });
  });

  it('lowers only the ca.crt preflight check, and only on workers (they receive the CA before joining)', () => {
    const ha = planFor('profiles/ha.yaml', 'v1beta4');
    for (const node of ha.nodes) {
      const docs = delivered(ha, node);
      const reg = (docs.find((d) => d.kind === 'InitConfiguration') ?? byKind(docs, 'JoinConfiguration')).nodeRegistration;
      expect(reg.ignorePreflightErrors).toEqual(node.role === 'worker' ? ['FileAvailable--etc-kubernetes-pki-ca.crt'] : undefined);
    }
  });

  it('adds the kubeadm phase last, after the phases before it', () => {
    const ha = planFor('profiles/ha.yaml', 'v1beta4');
    for (const node of ha.nodes) expect(node.phases.at(-1)).toBe('kubeadm');
  });

  it('forces v1beta3 for 1.30 and v1beta4 for 1.31 (the test copies do what they say)', () => {
    expect(planFromText(profileTextFor('profiles/lab.yaml', 'v1beta3')).kubernetes.kubeadmApi).toBe('v1beta3');
    expect(planFromText(profileTextFor('profiles/ha.yaml', 'v1beta4')).kubernetes.kubeadmApi).toBe('v1beta4');
  });
});
