/** Every source runs the whole sources contract (`sources.contract.ts`); a new one adds its descriptor and a line. */
import { describeSourceContract } from './sources.contract.ts';
import { falcon } from './falcon.source.ts';
import { sentinelOne } from './sentinelone.source.ts';
import { tailnet } from './tailnet.source.ts';

describeSourceContract(sentinelOne);
describeSourceContract(tailnet);
describeSourceContract(falcon);
