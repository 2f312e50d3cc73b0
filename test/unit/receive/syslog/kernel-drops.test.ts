import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { udpKernelDrops } from '../../../../pipeline/receive/syslog/kernel-drops';

describe('UDP kernel drop counting', () => {
  it('reads the drops the kernel counted for our socket while we were not reading', async () => {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4096 });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const { port } = socket.address();
    expect(udpKernelDrops(port)).toBe(0);
    // spawnSync blocks this process's event loop, so nothing reads the socket while the child
    // sends: the small buffer overflows and the kernel drops the rest.
    const sender = `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>{if(n++<2000)s.send(Buffer.alloc(512),${port},'127.0.0.1',go);else s.close();};go();`;
    const res = spawnSync(process.execPath, ['-e', sender], { timeout: 20_000 });
    expect(res.status).toBe(0);
    expect(udpKernelDrops(port)).toBeGreaterThan(1000);
    socket.close();
  });

  it('says null for a port no socket is bound to', () => {
    expect(udpKernelDrops(1)).toBeNull();
  });
});
